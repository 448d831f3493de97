/**
 * The I/O edge of backtests: series read from `rates`, results written to `backtests` through ILP. One row per
 * (run, series, model, horizon), stamped with the run's start; DEDUP keys make re-writing a run harmless.
 */
import type { Db } from '../sql/db.ts';
import type { Ilp } from '../sql/ilp.ts';
import { TABLES, writeRows } from '../sql/tables.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import type { BacktestResult, TimeSeries } from './backtest.ts';

const Q = loadQueries('./backtest.sql', new URL('../sql/', import.meta.url));

/** Where a series comes from, as the `rates` and `backtests` tables name it. */
export type SeriesKey = { source: string; currency: string };

/** Quotes pegged to the US dollar: a BTC price in one tracks a BTC price in another. */
const DOLLAR_QUOTES = new Set(['USD', 'USDC', 'USDT']);

/** The other series whose quote tracks the target's: the same currency, or both dollar quotes (USD, USDC, USDT). */
export function trackingSeries(keys: readonly SeriesKey[], target: SeriesKey): SeriesKey[] {
  const dollar = (c: string) => DOLLAR_QUOTES.has(c);
  return keys.filter(
    (k) =>
      (k.currency === target.currency || (dollar(k.currency) && dollar(target.currency))) &&
      !(k.source === target.source && k.currency === target.currency),
  );
}

/** A run: its id and the timestamp its rows carry. */
export type BacktestRun = { id: string; ts: number };

/** A run id that sorts by time and is unique enough: `bt-20260127T201300Z-3f9a`. */
export function makeRunId(now: number, random: () => number = Math.random): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `bt-${stamp}-${Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, '0')}`;
}

/** One series' rates in [from, to) as a backtest series named `source/currency`. */
export async function readSeries(db: Db, key: SeriesKey, from: number, to: number): Promise<TimeSeries> {
  const rows = await db.query<{ ts: Date; rate: number }>(pick(Q, 'seriesRates'), [
    key.source,
    key.currency,
    new Date(from).toISOString(),
    new Date(to).toISOString(),
  ]);
  return {
    name: `${key.source}/${key.currency}`,
    t: Float64Array.from(rows, (r) => r.ts.getTime()),
    y: Float64Array.from(rows, (r) => Number(r.rate)),
  };
}

/** Series with at least `minRows` rates in [from, to). */
export async function listSeries(db: Db, from: number, to: number, minRows: number): Promise<SeriesKey[]> {
  const rows = await db.query<{ source: string; currency: string }>(pick(Q, 'seriesWithData'), [
    new Date(from).toISOString(),
    new Date(to).toISOString(),
    minRows,
  ]);
  return rows.map((r) => ({ source: String(r.source), currency: String(r.currency) }));
}

/** Write one series' backtest rows; returns how many. Non-finite statistics are left NULL. */
export async function writeBacktest(
  ilp: Ilp,
  run: BacktestRun,
  key: SeriesKey,
  result: BacktestResult,
): Promise<number> {
  const rows = result.rows.filter((r) => r.origins > 0);
  if (rows.length === 0) return 0;
  await ilp.write((s) =>
    writeRows(
      s,
      TABLES.backtests,
      rows.map((r) => ({
        ts: run.ts,
        runId: run.id,
        source: key.source,
        currency: key.currency,
        model: r.model,
        horizon: r.horizon,
        fromTs: result.from,
        toTs: result.to,
        origins: r.origins,
        rmse: r.rmse,
        rmseRatio: r.ratio,
        dmStat: r.dm.stat,
        dmP: r.dm.p,
        coverage50: r.coverage50,
        coverage90: r.coverage90,
        width90: r.width90,
        fitMs: r.fitMs,
      })),
    ),
  );
  return rows.length;
}
