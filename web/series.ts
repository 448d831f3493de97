/**
 * The history chart's arithmetic, pure: which SAMPLE BY interval a range needs so the chart gets at most
 * MAX_POINTS buckets, and the rolling mean and standard deviation over a time window computed exactly from
 * per-bucket (count, mean, M2), so the server reads a few thousand buckets instead of every minute of a year.
 */
import { INTERVAL_MS, type RollingWindow } from '../sql/analytics.ts';
import {
  HISTORY_RAW_INTERVALS,
  HISTORY_VIEW_INTERVALS,
  type HistoryBucket,
  type HistoryInterval,
} from '../sql/web.ts';

/** About what a chart a screen wide can show; a year of 4-hour buckets fits. */
export const MAX_POINTS = 2200;
/** Up to this span the chart reads the minute rows; beyond it the hourly view. */
export const RAW_SPAN_LIMIT_MS = 7 * 86_400_000;

/** The finest interval that keeps a range within MAX_POINTS buckets. */
export function chooseInterval(spanMs: number): HistoryInterval {
  const candidates = spanMs <= RAW_SPAN_LIMIT_MS ? HISTORY_RAW_INTERVALS : HISTORY_VIEW_INTERVALS;
  for (const i of candidates) if (Math.ceil(spanMs / INTERVAL_MS[i]) <= MAX_POINTS) return i;
  return HISTORY_VIEW_INTERVALS[HISTORY_VIEW_INTERVALS.length - 1]!;
}

/** Length of a rolling window in ms. */
export const WINDOW_MS: Record<RollingWindow, number> = {
  '30m': 30 * 60_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

/** The window actually used: never shorter than one bucket. */
export function effectiveWindowMs(window: RollingWindow, interval: HistoryInterval): number {
  return Math.max(WINDOW_MS[window], INTERVAL_MS[interval]);
}

/** One point of the history chart: the bucket's own statistics and those of the window ending with it. */
export type HistoryPoint = {
  ts: number;
  n: number;
  mean: number;
  min: number;
  max: number;
  last: number;
  /** Rows in the window [ts + bucket - window, ts + bucket). */
  windowN: number;
  rollingMean: number;
  /** Sample standard deviation of the window's rows; null with fewer than two rows. */
  rollingStd: number | null;
};

/**
 * Rolling statistics from buckets sorted by time. The window of bucket i holds the buckets starting in
 * (ts_i - windowMs, ts_i], that is the rows in [ts_i + bucketMs - windowMs, ts_i + bucketMs) when windowMs is a
 * multiple of bucketMs; a gap leaves fewer rows, it never reaches further back. Buckets combine exactly
 * (Chan et al.): N = Σn, mean = Σn·m / N, M2 = Σ(M2 + n(m - mean)²), two passes over each window's buckets
 * rather than sliding sums, so no cancellation builds up along a year of buckets (at most a few million
 * additions for a day of minutes with a one-day window). Points before `emitFrom` only fill the first windows.
 */
export function rollingFromBuckets(
  buckets: readonly HistoryBucket[],
  windowMs: number,
  emitFrom = -Infinity,
): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  const ts = buckets.map((b) => b.ts.getTime());
  let lo = 0;
  for (let i = 0; i < buckets.length; i++) {
    const t = ts[i]!;
    while (ts[lo]! <= t - windowMs) lo++;
    if (t < emitFrom) continue;
    const b = buckets[i]!;
    // Centre on this bucket's mean: the sums stay small next to rates near 100 000.
    const c = b.mean;
    let n = 0;
    let s1 = 0;
    for (let j = lo; j <= i; j++) {
      const x = buckets[j]!;
      n += x.n;
      s1 += x.n * (x.mean - c);
    }
    const mean = c + s1 / n;
    let m2 = 0;
    for (let j = lo; j <= i; j++) {
      const x = buckets[j]!;
      m2 += x.m2 + x.n * (x.mean - mean) ** 2;
    }
    out.push({
      ts: t,
      n: b.n,
      mean: b.mean,
      min: b.min,
      max: b.max,
      last: b.last,
      windowN: n,
      rollingMean: mean,
      rollingStd: n > 1 ? Math.sqrt(m2 / (n - 1)) : null,
    });
  }
  return out;
}
