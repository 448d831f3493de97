/**
 * The forecaster and its scoring on the real QuestDB: forecasts written for every series with an hour of data,
 * and scores equal to RMSE, MAE and coverage computed here from the rows the test wrote.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { makeLogger } from '../../common/log.ts';
import { makeDb } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { MIN_POINTS, runForecastMinute } from '../../forecast/forecaster.ts';
import { makePromotion } from '../../forecast/promotion.ts';
import { TABLES, writeRows } from '../../sql/tables.ts';
import { scoreAt } from '../../forecast/scoring.ts';
import { testConfig, waitFor } from './stack-env.ts';

const config = testConfig();
const db = makeDb(config, 1);
afterAll(() => db.end());

describe('forecaster on the real stack', () => {
  it('forecasts every series with an hour of data, then scores matured forecasts exactly', async () => {
    const source = `fc-${Math.random().toString(36).slice(2, 8)}`;
    const t0 = Date.UTC(2033, 0, 1) + Math.floor(Math.random() * 300) * 86_400_000;
    const m = (i: number) => t0 + i * 60_000;
    let s = 12345;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const rates: { ts: number; currency: string; rate: number }[] = [];
    for (const [currency, start] of [
      ['USD', 60_000],
      ['EUR', 55_000],
    ] as const) {
      let v: number = start;
      for (let i = 0; i <= 70; i++) {
        if (currency === 'EUR' && i === 30) continue; // a gap: the x axis keeps it
        rates.push({ ts: m(i), currency, rate: v });
        v += 25 * rnd();
      }
    }
    // A series too short to forecast: skipped, and counted by reason in the round's summary.
    for (const i of [58, 59, 60]) rates.push({ ts: m(i), currency: 'GBP', rate: 48_000 });
    const ilp = await makeIlp(config);
    const write = (rows: typeof rates) =>
      ilp.write(async (snd) => {
        for (const r of rows)
          await snd
            .table('rates')
            .symbol('source', source)
            .symbol('currency', r.currency)
            .floatColumn('rate', r.rate)
            .at(r.ts, 'ms');
      });
    // The history up to the origin minute 60 only; the actuals of 61..70 arrive later.
    await write(rates.filter((r) => r.ts <= m(60)));
    await waitFor(
      async () =>
        (await db.query(`SELECT ts FROM rates WHERE source = $1`, [source])).length ===
        rates.filter((r) => r.ts <= m(60)).length,
      20_000,
      'history visible',
    );
    const log = makeLogger('forecaster', 'silent');
    const round = await runForecastMinute({ db, ilp, log }, m(60));
    expect(round.series).toBe(2);
    expect(round.forecasts).toBe(2 * 2 * 3);
    const gbp = `${source}/GBP (3 < ${MIN_POINTS})`;
    expect(round.skips).toEqual({ 'too few points': { count: 1, examples: [gbp] } });
    await waitFor(
      async () => (await db.query(`SELECT ts FROM forecasts WHERE source = $1`, [source])).length === 12,
      20_000,
      'forecasts',
    );
    type F = {
      ts: Date;
      horizon: number;
      currency: string;
      model: string;
      mean: number;
      lo50: number;
      hi50: number;
      lo90: number;
      hi90: number;
    };
    const forecasts = await db.query<F>(
      `SELECT ts, horizon, currency, model, mean, lo50, hi50, lo90, hi90 FROM forecasts WHERE source = $1`,
      [source],
    );
    const last = (c: string) => rates.filter((r) => r.currency === c && r.ts <= m(60)).at(-1)!.rate;
    for (const f of forecasts.filter((x) => x.model === 'persistence')) expect(f.mean).toBe(last(f.currency));

    await write(rates.filter((r) => r.ts > m(60)));
    await waitFor(
      async () =>
        (await db.query(`SELECT ts FROM rates WHERE source = $1`, [source])).length === rates.length,
      20_000,
      'actuals',
    );
    const end = m(71);
    await scoreAt({ db, ilp }, end);
    await waitFor(
      async () =>
        (await db.query(`SELECT ts FROM forecast_scores WHERE source = $1 AND span = '1h'`, [source]))
          .length === 12,
      20_000,
      'scores',
    );
    const scores = await db.query<{
      currency: string;
      model: string;
      horizon: number;
      n: string | number;
      rmse: number;
      mae: number;
      coverage90: number;
      skill: number | null;
    }>(
      `SELECT currency, model, horizon, n, rmse, mae, coverage90, skill FROM forecast_scores WHERE source = $1 AND span = '1h'`,
      [source],
    );
    await ilp.close();
    const actual = new Map(rates.map((r) => [`${r.currency}|${r.ts}`, r.rate]));
    for (const sc of scores) {
      const mine = forecasts.filter(
        (f) => f.currency === sc.currency && f.model === sc.model && f.horizon === sc.horizon,
      );
      const errs = mine.map((f) => f.mean - actual.get(`${f.currency}|${f.ts.getTime()}`)!);
      expect(Number(sc.n)).toBe(1);
      expect(sc.rmse).toBeCloseTo(Math.sqrt(errs.reduce((a, e) => a + e * e, 0) / errs.length), 9);
      expect(sc.mae).toBeCloseTo(errs.reduce((a, e) => a + Math.abs(e), 0) / errs.length, 9);
      const inside = mine.filter((f) => {
        const a = actual.get(`${f.currency}|${f.ts.getTime()}`)!;
        return a >= f.lo90 && a <= f.hi90;
      }).length;
      expect(sc.coverage90).toBe(inside / mine.length);
      if (sc.model === 'persistence') expect(sc.skill).toBe(0);
    }
  });

  it("judges a model that ran on some minutes only against persistence's error on those minutes", async () => {
    const source = `sk-${Math.random().toString(36).slice(2, 8)}`;
    const t0 = Date.UTC(2035, 0, 1) + Math.floor(Math.random() * 300) * 86_400_000;
    const m = (i: number) => t0 + i * 60_000;
    // 40 matured minutes: persistence errs by 40 on the first 30 (volatile) and by 10 on the last 10 (calm);
    // gp-icm ran on the calm ones only, erring by 12 there.
    const actual = (i: number) => 50_000 + (i % 2 ? 1 : -1) * 5;
    const minutes = Array.from({ length: 40 }, (_, i) => i);
    const forecast = (i: number, model: string, error: number) => ({
      ts: m(i),
      madeAt: m(i - 1),
      horizon: 1,
      source,
      currency: 'USD',
      model,
      mean: actual(i) + (i % 3 ? error : -error),
      lo50: 0,
      hi50: 0,
      lo90: 0,
      hi90: 0,
      points: 60,
      fitMs: 0,
      leadSeries: null,
      leadMinutes: null,
    });
    const rows = [
      ...minutes.map((i) => forecast(i, 'persistence', i < 30 ? 40 : 10)),
      ...minutes.filter((i) => i >= 30).map((i) => forecast(i, 'gp-icm', 12)),
    ];
    const ilp = await makeIlp(config);
    await ilp.write(async (snd) => {
      await writeRows(snd, TABLES.forecasts, rows);
      await writeRows(
        snd,
        TABLES.rates,
        minutes.map((i) => ({ ts: m(i), source, currency: 'USD', rate: actual(i), quoteTs: null })),
      );
    });
    await waitFor(
      async () =>
        (await db.query(`SELECT ts FROM forecasts WHERE source = $1`, [source])).length === rows.length &&
        (await db.query(`SELECT ts FROM rates WHERE source = $1`, [source])).length === minutes.length,
      20_000,
      'forecasts and rates visible',
    );
    await scoreAt({ db, ilp }, m(40));
    type S = { model: string; n: string | number; rmse: number; skill: number };
    const read = () =>
      db.query<S>(`SELECT model, n, rmse, skill FROM forecast_scores WHERE source = $1 AND span = '1h'`, [
        source,
      ]);
    await waitFor(async () => (await read()).length === 2, 20_000, 'scores');
    await ilp.close();
    const by = new Map((await read()).map((r) => [r.model, r]));
    expect(Number(by.get('gp-icm')!.n)).toBe(10);
    expect(by.get('gp-icm')!.rmse).toBeCloseTo(12, 9);
    expect(by.get('gp-icm')!.skill).toBeCloseTo(1 - 12 / 10, 9); // worse on its own minutes
    expect(by.get('persistence')!.skill).toBe(0);
  });

  it('runs gp-icm only for the series its latest daily backtest promoted, recording the lead it learned', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const [a, b] = [`pa-${tag}`, `pb-${tag}`];
    const t0 = Date.UTC(2034, 0, 1) + Math.floor(Math.random() * 300) * 86_400_000;
    const m = (i: number) => t0 + i * 60_000;
    let s = 777;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const lead: number[] = [60_000];
    for (let i = 1; i <= 1500; i++) lead.push(lead[i - 1]! + 20 * rnd());
    const origin = m(1500);
    const ilp = await makeIlp(config);
    await ilp.write(async (snd) => {
      for (let i = 1; i <= 1500; i++)
        for (const [source, rate] of [
          [b, lead[i]!],
          [a, lead[i - 1]! + 100 + rnd()],
        ] as const)
          await snd
            .table('rates')
            .symbol('source', source)
            .symbol('currency', 'USD')
            .floatColumn('rate', rate)
            .at(m(i), 'ms');
    });
    const ts = origin - 12 * 3_600_000;
    const row = (source: string, model: string, better: boolean, horizon: number) => ({
      ts,
      runId: `daily-${tag}`,
      source,
      currency: 'USD',
      model,
      horizon,
      fromTs: ts - 7 * 86_400_000,
      toTs: ts,
      origins: 2000,
      rmse: 1,
      rmseRatio: better ? 0.8 : 1,
      dmStat: better ? -5 : 0,
      dmP: better ? 0.001 : 1,
      coverage50: 0.5,
      coverage90: 0.9,
      width90: 1,
      fitMs: 1,
    });
    const backtests = [a, b].flatMap((source) =>
      ['persistence', 'gp-wiener', 'gp-icm'].flatMap((model) =>
        [1, 5, 10].map((h) => row(source, model, source === a && model === 'gp-icm', h)),
      ),
    );
    await ilp.write((snd) => writeRows(snd, TABLES.backtests, backtests));
    const count = async (sql: string) => (await db.query(sql, [a, b])).length;
    await waitFor(
      async () =>
        (await count(`SELECT ts FROM rates WHERE source IN ($1, $2)`)) === 3000 &&
        (await count(`SELECT ts FROM backtests WHERE source IN ($1, $2)`)) === backtests.length,
      30_000,
      'rates and backtests visible',
    );
    const log = makeLogger('forecaster', 'silent');
    const round = await runForecastMinute({ db, ilp, log, promote: makePromotion(db, [1, 5, 10]) }, origin);
    expect(round.forecasts).toBe(2 * 2 * 3 + 3);
    await waitFor(
      async () => (await count(`SELECT ts FROM forecasts WHERE source IN ($1, $2)`)) === 15,
      20_000,
      'forecasts',
    );
    await ilp.close();
    const icm = await db.query<{ source: string; lead_series: string; lead_minutes: number }>(
      `SELECT source, lead_series, lead_minutes FROM forecasts WHERE source IN ($1, $2) AND model = 'gp-icm'`,
      [a, b],
    );
    expect(icm.map((r) => [r.source, r.lead_series, r.lead_minutes])).toEqual(
      [1, 5, 10].map(() => [a, `${b}/USD`, 1]),
    );
    const others = await db.query<{ n: number }>(
      `SELECT count() n FROM forecasts WHERE source IN ($1, $2) AND model != 'gp-icm' AND lead_series IS NULL`,
      [a, b],
    );
    expect(Number(others[0]!.n)).toBe(12);
  }, 120_000);
});
