/**
 * Analytics over `rates`: the hourly and daily views, SAMPLE BY at fixed intervals and rolling windows. Queries live
 * in `analytics.sql`, picked by name from fixed lists: no caller text ever becomes SQL.
 */
import type { Db } from './db.ts';
import { fillSlots, loadQueries, pick, type NamedQuery } from './loader.ts';

/** SAMPLE BY intervals the product runs, in QuestDB's notation (`M` is a calendar month). */
export const SAMPLE_INTERVALS = ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w', '1M'] as const;
export type SampleInterval = (typeof SAMPLE_INTERVALS)[number];

/** Rolling windows: each row gets the statistics of the rows in (t - window, t]. */
export const ROLLING_WINDOWS = ['30m', '1h', '1d'] as const;
export type RollingWindow = (typeof ROLLING_WINDOWS)[number];

/** Length of a fixed-length interval or window in ms; a month has none (see `alignDown`). */
export const INTERVAL_MS: Record<Exclude<SampleInterval, '1M'>, number> = {
  '1m': 60_000,
  '5m': 5 * 60_000,
  '15m': 15 * 60_000,
  '30m': 30 * 60_000,
  '1h': 3_600_000,
  '4h': 4 * 3_600_000,
  '1d': 86_400_000,
  '1w': 7 * 86_400_000,
};

/** Parse untrusted text (a query string, a CLI flag) into one of `allowed`, or say which are allowed. */
function parseAllowed<T extends string>(what: string, allowed: readonly T[], text: string): T {
  const found = allowed.find((a) => a === text);
  if (!found) throw new Error(`unknown ${what} "${text}"; allowed: ${allowed.join(', ')}`);
  return found;
}
export const parseSampleInterval = (text: string) => parseAllowed('interval', SAMPLE_INTERVALS, text);
export const parseRollingWindow = (text: string) => parseAllowed('window', ROLLING_WINDOWS, text);

// 1970-01-01 was a Thursday, three days after a Monday; ISO weeks (and QuestDB's SAMPLE BY 1w) start on Monday.
const MONDAY_OFFSET_MS = 3 * 86_400_000;

/** Start of the calendar bucket (UTC) containing `ms`. Pure. */
export function alignDown(interval: SampleInterval, ms: number): number {
  if (interval === '1M') {
    const d = new Date(ms);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  const size = INTERVAL_MS[interval];
  const offset = interval === '1w' ? MONDAY_OFFSET_MS : 0;
  return Math.floor((ms + offset) / size) * size - offset;
}

/** `ms` itself when it starts a bucket, else the start of the next bucket. Pure. */
export function alignUp(interval: SampleInterval, ms: number): number {
  const down = alignDown(interval, ms);
  if (down === ms) return ms;
  if (interval === '1M') {
    const d = new Date(down);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return down + INTERVAL_MS[interval];
}

/** An instant: a Date, or epoch milliseconds UTC. */
export type Instant = Date | number;
const ms = (t: Instant): number => (typeof t === 'number' ? t : t.getTime());
const iso = (t: Instant): string => new Date(ms(t)).toISOString();

/** One bucket: statistics of the minute rates in it. Filled empty buckets have null statistics, count 0. */
export type Bucket<V = number> = { ts: Date; min: V; max: V; mean: V; first: V; last: V; count: number };

/** One row with the statistics of its window. `std` is the sample standard deviation, null for one row. */
export type RollingRow = { ts: Date; rate: number; count: number; mean: number; std: number | null };

/** The trailing 24-hour mean at each hour, and how many minute rows it averaged. */
export type TrailingMean = { ts: Date; mean: number; count: number };

type BucketRow = {
  ts: Date;
  min_rate: number | null;
  max_rate: number | null;
  avg_rate: number | null;
  first_rate: number | null;
  last_rate: number | null;
  count: string | number;
};

// QuestDB's LONG arrives over the PG wire as a string; counts stay far below 2^53.
const toBucket = (r: BucketRow): Bucket<number | null> => ({
  ts: r.ts,
  min: r.min_rate,
  max: r.max_rate,
  mean: r.avg_rate,
  first: r.first_rate,
  last: r.last_rate,
  count: Number(r.count),
});

export type Analytics = ReturnType<typeof makeAnalytics>;

const QUERIES = loadQueries('./analytics.sql', import.meta.url);
/** The parsed `analytics.sql`. */
export const analyticsQueries = (): Map<string, NamedQuery> => QUERIES;

/** The statement of every allowed interval (plain and filled) and rolling window, from the .sql file's slots. */
export function analyticsStatements(Q = analyticsQueries()) {
  const sampled = Object.fromEntries(
    SAMPLE_INTERVALS.map((interval) => [
      interval,
      {
        plain: fillSlots(pick(Q, 'sampled'), { interval }),
        filled: fillSlots(pick(Q, 'sampledFilled'), { interval }),
      },
    ]),
  ) as Record<SampleInterval, { plain: string; filled: string }>;
  const rolling = Object.fromEntries(
    ROLLING_WINDOWS.map((w) => [w, fillSlots(pick(Q, 'rolling'), { frame_us: INTERVAL_MS[w] * 1000 - 1 })]),
  ) as Record<RollingWindow, string>;
  return { sampled, rolling };
}

/**
 * Typed analytics over one (source, currency) series. `from` is inclusive and `to` exclusive; sampled buckets
 * are calendar-aligned in UTC and returned whole (the range is widened to bucket boundaries).
 */
export function makeAnalytics(db: Db) {
  const Q = analyticsQueries();
  // Resolve every name now, so a missing query fails at start-up rather than on first use.
  const { sampled, rolling } = analyticsStatements(Q);
  const hourly = pick(Q, 'hourly');
  const daily = pick(Q, 'daily');
  const trailing = pick(Q, 'trailingDayMeanByHour');

  const buckets = async (text: string, params: unknown[]) =>
    (await db.query<BucketRow>(text, params)).map(toBucket) as Bucket[];

  return {
    /** Hourly buckets from the `rates_1h` view, for hours starting in [from, to). */
    hourly: (source: string, currency: string, from: Instant, to: Instant): Promise<Bucket[]> =>
      buckets(hourly, [source, currency, iso(alignDown('1h', ms(from))), iso(to)]),

    /** UTC-day buckets from the `rates_1d` view, for days starting in [from, to). */
    daily: (source: string, currency: string, from: Instant, to: Instant): Promise<Bucket[]> =>
      buckets(daily, [source, currency, iso(alignDown('1d', ms(from))), iso(to)]),

    /**
     * SAMPLE BY `interval` over the minute rows, for buckets overlapping [from, to). With `fill`, every bucket
     * of the range is returned, empty ones with null statistics and count 0.
     */
    async sampled(
      source: string,
      currency: string,
      interval: SampleInterval,
      from: Instant,
      to: Instant,
      fill = false,
    ): Promise<Bucket<number | null>[]> {
      const q = sampled[interval];
      if (!q) throw new Error(`unknown interval ${String(interval)}`);
      const lo = iso(alignDown(interval, ms(from)));
      const hi = iso(alignUp(interval, ms(to)));
      return (await db.query<BucketRow>(fill ? q.filled : q.plain, [source, currency, lo, hi])).map(toBucket);
    },

    /** Every minute row in [from, to) with the mean and sample std of the rates in (t - window, t]. */
    async rolling(
      source: string,
      currency: string,
      window: RollingWindow,
      from: Instant,
      to: Instant,
    ): Promise<RollingRow[]> {
      const q = rolling[window];
      if (!q) throw new Error(`unknown window ${String(window)}`);
      const params = [source, currency, iso(from), iso(to)];
      const rows = await db.query<Omit<RollingRow, 'count'> & { count: string }>(q, params);
      return rows.map((r) => ({ ts: r.ts, rate: r.rate, count: Number(r.count), mean: r.mean, std: r.std }));
    },

    /** For each hour starting in [from, to): the mean of the minute rates of the 24 hours ending with it. */
    async trailingDayMeanByHour(
      source: string,
      currency: string,
      from: Instant,
      to: Instant,
    ): Promise<TrailingMean[]> {
      const params = [source, currency, iso(alignDown('1h', ms(from))), iso(to)];
      const rows = await db.query<{ ts: Date; mean: number; count: number | string }>(trailing, params);
      return rows.map((r) => ({ ts: r.ts, mean: r.mean, count: Number(r.count) }));
    },
  };
}
