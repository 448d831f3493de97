/**
 * Data for the dashboard's integration and browser tests: minutes of rates, polls, forecasts, scores, job runs
 * and spool depth for one source of the test's own, written through ILP in the shapes of the migrations.
 */
import type { Sender } from '@questdb/nodejs-client';
import type { Db } from '../../sql/db.ts';
import type { Ilp } from '../../sql/ilp.ts';
import { waitFor } from './stack-env.ts';

const MIN = 60_000;

/** A smooth, deterministic price per currency and minute (so tests can compute what a page must show). */
export function priceAt(currency: string, ms: number): number {
  const base = 20_000 + [...currency].reduce((a, ch) => a + ch.charCodeAt(0), 0) * 50;
  const m = ms / MIN;
  return base * (1 + 0.01 * Math.sin(m / 37) + 0.002 * Math.cos(m / 5));
}

export type Seed = { source: string; currencies: string[]; from: number; to: number };

async function rateRows(s: Sender, seed: Seed, from: number, to: number): Promise<void> {
  for (let ts = from; ts < to; ts += MIN)
    for (const c of seed.currencies)
      await s
        .table('rates')
        .symbol('source', seed.source)
        .symbol('currency', c)
        .floatColumn('rate', priceAt(c, ts))
        .at(ts, 'ms');
}

/** Forecasts made at `madeAt` (the last observed minute) for 1, 5 and 10 minutes ahead: GP, persistence, gp-icm. */
async function forecastRows(s: Sender, seed: Seed, madeAt: number): Promise<void> {
  for (const c of seed.currencies) {
    const last = priceAt(c, madeAt);
    for (const h of [1, 5, 10])
      for (const model of c === 'USD' ? ['gp', 'persistence', 'gp-icm'] : ['gp', 'persistence']) {
        const mean = model === 'gp' ? priceAt(c, madeAt + h * MIN) : last;
        const sd = last * 0.0004 * Math.sqrt(h);
        const row = s
          .table('forecasts')
          .symbol('source', seed.source)
          .symbol('currency', c)
          .symbol('model', model);
        // gp-icm (USD only) as the forecaster writes it when promoted: led by another venue by a quarter minute.
        if (model === 'gp-icm') row.symbol('lead_series', 'other/USD').floatColumn('lead_minutes', 0.25);
        await row
          .intColumn('horizon', h)
          .timestampColumn('made_at', madeAt, 'ms')
          .floatColumn('mean', mean)
          .floatColumn('lo50', mean - 0.674 * sd)
          .floatColumn('hi50', mean + 0.674 * sd)
          .floatColumn('lo90', mean - 1.645 * sd)
          .floatColumn('hi90', mean + 1.645 * sd)
          .intColumn('points', 60)
          .floatColumn('fit_ms', 12.5)
          .at(madeAt + h * MIN, 'ms');
      }
  }
}

async function scoreRows(s: Sender, seed: Seed, at: number): Promise<void> {
  for (const c of seed.currencies)
    for (const span of ['1h', '24h'])
      for (const h of [1, 5, 10])
        for (const model of ['gp', 'persistence'])
          await s
            .table('forecast_scores')
            .symbol('span', span)
            .symbol('source', seed.source)
            .symbol('currency', c)
            .symbol('model', model)
            .intColumn('horizon', h)
            .intColumn('n', 55)
            .floatColumn('rmse', model === 'gp' ? 8 * h : 10 * h)
            .floatColumn('mae', model === 'gp' ? 6 * h : 8 * h)
            .floatColumn('skill', model === 'gp' ? 0.2 : 0)
            .floatColumn('coverage50', 0.52)
            .floatColumn('coverage90', 0.89)
            .floatColumn('width90', 30 * h)
            .at(at, 'ms');
}

/** Everything the four pages show, for `seed.source` over [from, to). */
export async function writeSeed(ilp: Ilp, seed: Seed): Promise<void> {
  const batch = 2000;
  for (let t = seed.from; t < seed.to; t += batch * MIN)
    await ilp.write((s) => rateRows(s, seed, t, Math.min(seed.to, t + batch * MIN)));
  const last = seed.to - MIN;
  await ilp.write(async (s) => {
    await s
      .table('sources')
      .symbol('id', seed.source)
      .symbol('kind', 'test')
      .stringColumn('url_template', 'http://127.0.0.1/test')
      .stringColumn('description', 'dashboard test data')
      .at(0, 'ms');
    await forecastRows(s, seed, last);
    await scoreRows(s, seed, last);
    for (let ts = Math.max(seed.from, last - 30 * MIN); ts <= last; ts += MIN) {
      const failed = ts === last - 2 * MIN;
      s.table('polls').symbol('source', seed.source);
      if (failed) s.symbol('reason', 'http_status');
      await s
        .intColumn('attempt', 1)
        .timestampColumn('fetched_at', ts + 400, 'ms')
        .intColumn('http_status', failed ? 503 : 200)
        .floatColumn('latency_ms', 120)
        .intColumn('bytes', 4000)
        .intColumn('accepted', failed ? 0 : seed.currencies.length)
        .intColumn('rejected', 0)
        .stringColumn('archive_id', `${seed.source}-${ts}`)
        .stringColumn('error', failed ? 'HTTP 503' : '')
        .at(ts, 'ms');
    }
    for (const channel of ['archive', 'store'])
      await s
        .table('spool_status')
        .symbol('poller', seed.source)
        .symbol('channel', channel)
        .intColumn('files', channel === 'archive' ? 2 : 0)
        .intColumn('bytes', channel === 'archive' ? 8192 : 0)
        .intColumn('max_bytes', 536870912)
        .booleanColumn('full', false)
        .intColumn('lost', 0)
        .at(last, 'ms');
    await s
      .table('job_runs')
      .symbol('job', `view-health-${seed.source}`)
      .symbol('status', 'ok')
      .timestampColumn('window_end', last, 'ms')
      .timestampColumn('started_at', last + 1000, 'ms')
      .floatColumn('duration_ms', 42)
      .intColumn('rows_touched', 0)
      .stringColumn('error', '')
      .at(last - 5 * MIN, 'ms');
  });
}

/** One more minute: its rates, a poll, and forecasts made from it (what the poller and forecaster add). */
export async function writeNextMinute(ilp: Ilp, seed: Seed, minute: number): Promise<void> {
  await ilp.write(async (s) => {
    await rateRows(s, seed, minute, minute + MIN);
    await forecastRows(s, seed, minute);
  });
}

/** Wait until the seed's rates, forecasts and the hourly view are visible. */
export async function waitForSeed(db: Db, seed: Seed, rates: number): Promise<void> {
  const count = async (sql: string, params: unknown[]) =>
    Number((await db.query<{ n: string }>(sql, params))[0]?.n ?? 0);
  await waitFor(
    async () =>
      (await count('SELECT count() AS n FROM rates WHERE source = $1', [seed.source])) >= rates &&
      (await count('SELECT count() AS n FROM forecasts WHERE source = $1', [seed.source])) > 0 &&
      (await count('SELECT count() AS n FROM forecast_scores WHERE source = $1', [seed.source])) > 0 &&
      (await count('SELECT count() AS n FROM job_runs WHERE job = $1', [`view-health-${seed.source}`])) > 0 &&
      (await count('SELECT sum(count) AS n FROM rates_1h WHERE source = $1', [seed.source])) >= rates,
    60_000,
    `${rates} rates of ${seed.source} visible, views refreshed`,
  );
}
