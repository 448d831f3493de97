/**
 * The dashboard's queries and routes against the real QuestDB: the history buckets and their rolling
 * statistics checked against a computation from the generated prices, the catalog, and every page and API
 * route answering with the test's own data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.ts';
import { makeDb, type Db } from '../../sql/db.ts';
import { makeIlp, type Ilp } from '../../sql/ilp.ts';
import { makeWebQueries } from '../../sql/web.ts';
import { makeApp } from '../../web/app.tsx';
import { fixedChecks } from '../../web/checks.ts';
import { testConfig } from './stack-env.ts';
import { priceAt, waitForSeed, writeSeed, type Seed } from './web-support.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const config = testConfig();
let db: Db;
let ilp: Ilp;
const to = Math.floor(Date.now() / MIN) * MIN + MIN;
const seed: Seed = {
  source: `web-${Math.random().toString(36).slice(2, 8)}`,
  currencies: ['USD', 'EUR'],
  from: to - 2 * 24 * HOUR,
  to,
};

/** Two-pass statistics of the generated prices of one currency over [from, end). */
function stats(currency: string, from: number, end: number) {
  const xs: number[] = [];
  for (let t = Math.max(from, seed.from); t < Math.min(end, seed.to); t += MIN) xs.push(priceAt(currency, t));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const m2 = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { n: xs.length, mean, m2, std: Math.sqrt(m2 / (xs.length - 1)) };
}

beforeAll(async () => {
  db = makeDb(config, 2);
  ilp = await makeIlp(config);
  await writeSeed(ilp, seed);
  await waitForSeed(db, seed, ((seed.to - seed.from) / MIN) * seed.currencies.length);
});

afterAll(async () => {
  await ilp?.close();
  await db?.end();
});

describe('sql/web.sql on QuestDB', () => {
  it('history from the minute rows: count, mean, M2, min, max, last of each 15-minute bucket', async () => {
    const q = makeWebQueries(db);
    const from = Math.floor((seed.to - 6 * HOUR) / (15 * MIN)) * 15 * MIN;
    const buckets = await q.history({ source: seed.source, currency: 'USD' }, '15m', from, seed.to);
    expect(buckets).toHaveLength(Math.ceil((seed.to - from) / (15 * MIN)));
    for (const b of buckets) {
      const t = b.ts.getTime();
      const want = stats('USD', t, t + 15 * MIN);
      expect(b.n).toBe(want.n);
      expect(b.mean).toBeCloseTo(want.mean, 6);
      // A bucket of equal rates has M2 = 0 exactly: compare with an absolute floor as well.
      expect(Math.abs(b.m2 - want.m2)).toBeLessThanOrEqual(1e-6 * want.m2 + 1e-9);
      expect(b.last).toBeCloseTo(priceAt('USD', Math.min(t + 14 * MIN, seed.to - MIN)), 6);
    }
  });

  it('history from rates_1h: exact means and counts, spread of the hourly means', async () => {
    const q = makeWebQueries(db);
    const from = Math.floor(seed.from / (4 * HOUR)) * 4 * HOUR + 4 * HOUR;
    const buckets = await q.history({ source: seed.source, currency: 'EUR' }, '4h', from, from + 24 * HOUR);
    expect(buckets).toHaveLength(6);
    for (const b of buckets) {
      const t = b.ts.getTime();
      const want = stats('EUR', t, t + 4 * HOUR);
      expect(b.n).toBe(want.n);
      expect(b.mean).toBeCloseTo(want.mean, 6);
      const hourly = [0, 1, 2, 3].map((h) => stats('EUR', t + h * HOUR, t + (h + 1) * HOUR));
      const between = hourly.reduce((a, h) => a + h.n * (h.mean - want.mean) ** 2, 0);
      expect(b.m2).toBeCloseTo(between, 3);
    }
  });

  it('lists the series, and the latest forecasts and scores', async () => {
    const q = makeWebQueries(db);
    const keys = await q.seriesKeys(Date.now() - 2 * 24 * HOUR);
    expect(keys).toEqual(
      expect.arrayContaining(seed.currencies.map((currency) => ({ source: seed.source, currency }))),
    );
    const f = await q.latestForecasts({ source: seed.source, currency: 'USD' }, Date.now() - 24 * HOUR);
    expect(f.map((x) => `${x.horizon}/${x.model}`).sort()).toEqual([
      '1/gp',
      '1/gp-icm',
      '1/persistence',
      '10/gp',
      '10/gp-icm',
      '10/persistence',
      '5/gp',
      '5/gp-icm',
      '5/persistence',
    ]);
    for (const x of f)
      expect([x.leadSeries, x.leadMinutes]).toEqual(
        x.model === 'gp-icm' ? ['other/USD', 0.25] : [null, null],
      );
    const s = await q.latestScores({ source: seed.source, currency: 'USD' }, Date.now() - 24 * HOUR);
    expect(s).toHaveLength(12);
    expect(s[0]!.n).toBe(55);
  });
});

describe('the dashboard on QuestDB', () => {
  const app = () =>
    makeApp({
      db,
      clock: systemClock,
      checks: fixedChecks(true),
      config: {
        QUESTDB_HOST: '127.0.0.1',
        QUESTDB_HTTP_PORT: config.QUESTDB_HTTP_PORT,
        QUESTDB_CONSOLE_URL: '',
      },
    });
  const s = `source=${seed.source}`;

  it.each([
    `/forecast?${s}&currency=USD`,
    `/history?${s}&currency=USD&range=1d`,
    `/history?${s}&currency=EUR&range=7d&window=1d`,
    `/history?${s}&currency=EUR&range=1y`,
    `/aggregates?${s}&currency=USD`,
    `/aggregates?${s}&currency=USD&grain=day&range=30d`,
    '/health',
  ])('%s answers 200 with a chart or the source', async (path) => {
    const res = await app().request(path);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(path === '/health' ? seed.source : 'data-chart=');
  });

  it('/forecast shows which series leads a gp-icm forecast, and nothing for a series without gp-icm', async () => {
    const usd = await (await app().request(`/forecast?${s}&currency=USD`)).text();
    expect(usd).toMatch(/id="forecast-lead"[^>]*>[^<]*led by other\/USD by 0.25 min/);
    expect(await (await app().request(`/forecast?${s}&currency=EUR`)).text()).not.toContain('forecast-lead');
  });

  it('/api/history: the newest point holds the mean and std of the last day, computed independently', async () => {
    const res = await app().request(`/api/history?${s}&currency=USD&range=1d&window=1d`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      interval: string;
      rows: { ts: string; windowN: number; rollingMean: number; rollingStd: number }[];
    };
    expect(body.interval).toBe('1m');
    const last = body.rows.at(-1)!;
    const end = Date.parse(last.ts) + MIN;
    const want = stats('USD', end - 24 * HOUR, end);
    expect(last.windowN).toBe(want.n);
    expect(last.rollingMean).toBeCloseTo(want.mean, 6);
    expect(Math.abs(last.rollingStd - want.std)).toBeLessThan(1e-8 * want.std);
  });

  it('/api/aggregates?format=csv: hourly buckets from the view', async () => {
    const res = await app().request(`/api/aggregates?${s}&currency=EUR&range=1d&format=csv`);
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('ts,min,max,mean,first,last,count');
    expect(lines.length).toBeGreaterThanOrEqual(24);
    const [ts, , , mean, , , count] = lines[2]!.split(',');
    const t = Date.parse(ts!);
    const want = stats('EUR', t, t + HOUR);
    expect(Number(count)).toBe(want.n);
    expect(Number(mean)).toBeCloseTo(want.mean, 6);
  });

  it('refuses an unknown source after looking it up in the tables', async () => {
    const res = await app().request('/history?source=no-such-source');
    expect(res.status).toBe(400);
  });
});
