/**
 * Backtests on the real QuestDB: the CLI reads a series and its related sources from `rates`, and its rows land
 * in `backtests` equal to the result computed in process from the same rates; the daily job covers every series
 * in its span and a re-run of the same window rewrites, never doubles, its rows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { makeLogger } from '../../common/log.ts';
import { makeDb } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { runBacktest } from '../../forecast/backtest.ts';
import { parseBacktestArgs, runBacktestCli, type CliOptions } from '../../forecast/backtest-cli.ts';
import { gpIcm } from '../../forecast/multi.ts';
import { gpWiener, persistence } from '../../forecast/models.ts';
import { makeLeadLag } from '../../forecast/synthetic.ts';
import { runDailyBacktest } from '../../jobs/backtest.ts';
import { testConfig, waitFor, waitForWalApplied } from './stack-env.ts';

const config = testConfig();
const db = makeDb(config, 1);
afterAll(() => db.end());

type Stored = {
  source: string;
  model: string;
  horizon: number;
  origins: string | number;
  rmse: number;
  rmse_ratio: number;
  dm_stat: number;
  dm_p: number;
  coverage90: number;
  from_ts: Date;
  to_ts: Date;
};

describe('backtests on the real stack', () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const fast = `bt-${tag}-fast`;
  const slow = `bt-${tag}-slow`;
  // A day of its own, far from other tests' data: 5 hours of a leader and its 1.5-minute follower.
  const day = Date.UTC(2034, 0, 1) + Math.floor(Math.random() * 300) * 86_400_000;
  const [leader, follower] = makeLeadLag({ minutes: 300, seed: 17, start: day });

  it('the CLI reads a series with its related source and stores what it computed', async () => {
    const ilp = await makeIlp(config);
    await ilp.write(async (s) => {
      for (const [source, series] of [
        [fast, leader!],
        [slow, follower!],
      ] as const)
        for (let i = 0; i < series.t.length; i++)
          await s
            .table('rates')
            .symbol('source', source)
            .symbol('currency', 'USD')
            .floatColumn('rate', series.y[i]!)
            .at(series.t[i]!, 'ms');
    });
    await waitFor(
      async () =>
        (await db.query(`SELECT ts FROM rates WHERE source IN ($1, $2)`, [fast, slow])).length === 600,
      20_000,
      'rates visible',
    );
    const from = day + 60 * 60_000;
    const to = day + 290 * 60_000;
    const args = `--source ${slow} --currency USD --from ${new Date(from).toISOString()} --to ${new Date(to).toISOString()} --related auto --models persistence,gp-wiener,gp-icm --stride 10`;
    const opts = parseBacktestArgs(args.split(' ')) as CliOptions;
    let out = '';
    const now = Date.UTC(2034, 0, 1) + Math.floor(Math.random() * 1e9);
    const status = await runBacktestCli(opts, {
      db,
      ilp,
      out: { write: (s: string) => (out += s) },
      err: { write: () => true },
      now,
    });
    await ilp.close();
    expect(status).toBe(0);
    expect(out).toContain(`(related: ${fast}/USD)`);
    const runId = /run_id = '([^']+)'/.exec(out)![1]!;
    expect(out).toMatch(new RegExp(`${slow}/USD: gp-icm beats persistence at \\+1 min`));

    await waitFor(
      async () => (await db.query(`SELECT ts FROM backtests WHERE run_id = $1`, [runId])).length === 9,
      20_000,
      'backtest rows',
    );
    const stored = await db.query<Stored>(
      `SELECT source, model, horizon, origins, rmse, rmse_ratio, dm_stat, dm_p, coverage90, from_ts, to_ts
       FROM backtests WHERE run_id = $1`,
      [runId],
    );
    const expected = runBacktest(
      { target: { ...follower!, name: `${slow}/USD` }, related: [{ ...leader!, name: `${fast}/USD` }] },
      { models: [persistence, gpWiener, gpIcm], stride: 10, from, to },
    );
    for (const r of expected.rows) {
      const s = stored.find((x) => x.model === r.model && x.horizon === r.horizon)!;
      expect(s.source).toBe(slow);
      expect(Number(s.origins)).toBe(r.origins);
      expect(s.rmse).toBeCloseTo(r.rmse, 9);
      expect(s.rmse_ratio).toBeCloseTo(r.ratio, 9);
      expect(s.dm_stat).toBeCloseTo(r.dm.stat, 9);
      expect(s.coverage90).toBe(r.coverage90);
      expect(s.from_ts.getTime()).toBe(from);
      expect(s.to_ts.getTime()).toBe(expected.to);
    }
  });

  it('the daily job backtests every series in its span, and a re-run rewrites the same rows', async () => {
    const ilp = await makeIlp(config);
    const end = day + 300 * 60_000;
    const log = makeLogger('backtest', 'silent');
    const ctx = { signal: new AbortController().signal, log };
    const options = { spanMs: 4 * 3_600_000, stride: 15, minRows: 200 };
    const n = await runDailyBacktest({ db, ilp }, end, ctx, options);
    expect(n).toBe(2 * 3 * 3); // two series, three models each (both have a related source), three horizons
    const runId = `daily-${new Date(end - 86_400_000).toISOString().slice(0, 10)}`;
    const count = async () =>
      (
        await db.query(`SELECT ts FROM backtests WHERE run_id = $1 AND source IN ($2, $3)`, [
          runId,
          fast,
          slow,
        ])
      ).length;
    await waitFor(async () => (await count()) === n, 20_000, 'daily rows');
    await runDailyBacktest({ db, ilp }, end, ctx, options);
    await ilp.close();
    // DEDUP UPSERT KEYS(ts, run_id, source, currency, model, horizon): the second run replaced the first.
    await waitForWalApplied(config, 'backtests');
    expect(await count()).toBe(n);
  }, 120_000);
});
