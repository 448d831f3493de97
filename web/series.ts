/**
 * The history chart's arithmetic, pure: the SAMPLE BY interval that keeps a range within MAX_POINTS buckets, and
 * the exact rolling mean and standard deviation from per-bucket (count, mean, M2).
 */
import { INTERVAL_MS, type RollingWindow } from '../sql/analytics.ts';
import { HISTORY_RAW_INTERVALS, HISTORY_VIEW_INTERVALS } from '../sql/web.ts';
import type { HistoryBucket, HistoryInterval } from '../sql/web.ts';

/** About what a chart a screen wide can show (a day of minutes); fewer rows to read, parse and draw. */
export const MAX_POINTS = 1500;
/** Up to this span the chart reads the minute rows; beyond it the hourly view. */
export const RAW_SPAN_LIMIT_MS = 7 * 86_400_000;

/** The finest interval that keeps a range within MAX_POINTS buckets. */
export function chooseInterval(spanMs: number): HistoryInterval {
  const candidates = spanMs <= RAW_SPAN_LIMIT_MS ? HISTORY_RAW_INTERVALS : HISTORY_VIEW_INTERVALS;
  for (const i of candidates) if (Math.ceil(spanMs / INTERVAL_MS[i]) <= MAX_POINTS) return i;
  return HISTORY_VIEW_INTERVALS[HISTORY_VIEW_INTERVALS.length - 1]!;
}

/** The window actually used: never shorter than one bucket. */
export function effectiveWindowMs(window: RollingWindow, interval: HistoryInterval): number {
  return Math.max(INTERVAL_MS[window], INTERVAL_MS[interval]);
}

/** One point of the history chart: the bucket's own statistics and those of the window ending with it. */
export type HistoryPoint = Omit<HistoryBucket, 'ts' | 'm2'> & {
  ts: number;
  /** Rows in the window [ts + bucket - window, ts + bucket). */
  windowN: number;
  rollingMean: number;
  /** Sample standard deviation of the window's rows; null with fewer than two rows. */
  rollingStd: number | null;
};

/** Sliding sums are recomputed exactly this often, so rounding cannot build up along a year of buckets. */
const REFRESH_EVERY = 32;

/**
 * Rolling statistics of buckets sorted by time; bucket i's window holds the buckets starting in (ts_i - windowMs,
 * ts_i]. Sums of n(m - c) and M2 + n(m - c)² around a level c combine exactly (Chan et al.) and slide in O(1).
 * Points before `emitFrom` only fill the first windows.
 */
export function rollingFromBuckets(
  buckets: readonly HistoryBucket[],
  windowMs: number,
  emitFrom = -Infinity,
): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  const ts = buckets.map((b) => b.ts.getTime());
  const add = (b: HistoryBucket, sign: 1 | -1) => {
    const d = b.mean - c;
    n += sign * b.n;
    s1 += sign * b.n * d;
    s2 += sign * (b.m2 + b.n * d * d);
  };
  let c = 0;
  let n = 0;
  let s1 = 0;
  let s2 = 0;
  let lo = 0;
  for (let i = 0; i < buckets.length; i++) {
    const t = ts[i]!;
    const b = buckets[i]!;
    if (i % REFRESH_EVERY === 0) {
      while (ts[lo]! <= t - windowMs) lo++;
      c = b.mean;
      n = s1 = s2 = 0;
      for (let j = lo; j <= i; j++) add(buckets[j]!, 1);
    } else {
      add(b, 1);
      while (ts[lo]! <= t - windowMs) add(buckets[lo++]!, -1);
    }
    if (t < emitFrom) continue;
    const d = s1 / n;
    const m2 = Math.max(s2 - n * d * d, 0);
    out.push({
      ts: t,
      n: b.n,
      mean: b.mean,
      min: b.min,
      max: b.max,
      last: b.last,
      windowN: n,
      rollingMean: c + d,
      rollingStd: n > 1 ? Math.sqrt(m2 / (n - 1)) : null,
    });
  }
  return out;
}
