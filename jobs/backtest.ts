/** The daily backtest: each series' models over the last 7 days, rows under run id `daily-YYYY-MM-DD`. */
import type { Clock } from '../common/types.ts';
import type { Db } from '../sql/db.ts';
import type { Ilp } from '../sql/ilp.ts';
import { runBacktestYielding, type TimeSeries } from '../forecast/backtest.ts';
import { listSeries, readSeries, trackingSeries, writeBacktest } from '../forecast/backtest-store.ts';
import type { SeriesKey } from '../forecast/backtest-store.ts';
import { gpWiener, persistence, type Model } from '../forecast/models.ts';
import { gpIcm } from '../forecast/multi.ts';
import { recommendModel } from '../forecast/selection.ts';
import type { Job, JobContext } from './runner.ts';

const DAY = 86_400_000;

export type BacktestJobOptions = {
  /** Span of origins backtested, ending at the window's end. Default 7 days. */
  spanMs?: number;
  stride?: number;
  /** Series with fewer rates in the span are left out. Default one day's minutes. */
  minRows?: number;
  models?: readonly Model[];
};

/** One daily run over [end − span, end): returns the rows written. */
export async function runDailyBacktest(
  deps: { db: Db; ilp: Ilp },
  end: number,
  ctx: Pick<JobContext, 'signal' | 'log'>,
  options: BacktestJobOptions = {},
): Promise<number> {
  const { spanMs = 7 * DAY, stride = 5, minRows = 1440, models = [persistence, gpWiener] } = options;
  const from = end - spanMs;
  const keys = await listSeries(deps.db, from, end, minRows);
  const cache = new Map<string, Promise<TimeSeries>>();
  // The window (and gp-icm's day of training) before the first origin and the targets after the last are read too.
  const read = (k: SeriesKey) => {
    const id = `${k.source}/${k.currency}`;
    let s = cache.get(id);
    if (!s) cache.set(id, (s = readSeries(deps.db, k, from - 25 * 60 * 60_000, end + 10 * 60_000)));
    return s;
  };
  const run = { id: `daily-${new Date(end - DAY).toISOString().slice(0, 10)}`, ts: end };
  let rows = 0;
  for (const key of keys) {
    if (ctx.signal.aborted) throw new Error('stopped');
    const others = trackingSeries(keys, key);
    const related = await Promise.all(others.map(read));
    const result = await runBacktestYielding(
      { target: await read(key), related },
      { models: related.length ? [...models, gpIcm] : models, stride, from, to: end },
      { signal: ctx.signal },
    );
    rows += await writeBacktest(deps.ilp, run, key, result);
    const rec = recommendModel(result.rows, result.to - result.from);
    ctx.log.info(
      { series: `${key.source}/${key.currency}`, origins: result.origins, choice: rec.model },
      rec.reason,
    );
  }
  return rows;
}

/** The registered job: once a day at 03:30 UTC, the 7 days up to midnight. */
export function makeBacktestJob(
  deps: { db: Db; ilp: Ilp; clock: Clock },
  options: BacktestJobOptions = {},
): Job {
  return {
    name: 'forecast-backtest',
    policy: { windowMs: DAY, delayMs: 3.5 * 3_600_000, catchUp: 'latest', maxLookbackMs: DAY, maxBatch: 1 },
    run: async ({ window, signal, log }) => ({
      rows: await runDailyBacktest(deps, window.end, { signal, log }, options),
    }),
  };
}
