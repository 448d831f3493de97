/**
 * Batch analytics over `rates`: the hourly and daily materialized views, ad hoc SAMPLE BY at a fixed list of
 * intervals, and rolling statistics over time-based windows. Every query lives in `analytics.sql`; this module
 * only picks one by name from a fixed list and binds values, so no caller text ever becomes SQL.
 */
import type { Db } from './db.ts';
import { fillSlots, loadQueries, pick, type NamedQuery } from './loader.ts';

/** SAMPLE BY intervals the product runs, in QuestDB's notation (`M` is a calendar month). */
export const SAMPLE_INTERVALS = ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w', '1M'] as const;
export type SampleInterval = (typeof SAMPLE_INTERVALS)[number];

/** Rolling windows: each row gets the statistics of the rows in (t - window, t]. */
export const ROLLING_WINDOWS = ['30m', '1h', '1d'] as const;
export type RollingWindow = (typeof ROLLING_WINDOWS)[number];

/** The named query behind each interval and window: the whitelist between callers and SQL text. */
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

/** Parse untrusted text (a query string, a CLI flag) into an allowed interval, or say which are allowed. */
export function parseSampleInterval(text: string): SampleInterval {
  const found = SAMPLE_INTERVALS.find((i) => i === text);
  if (!found) throw new Error(`unknown interval "${text}"; allowed: ${SAMPLE_INTERVALS.join(', ')}`);
  return found;
}

/** Parse untrusted text into an allowed rolling window, or say which are allowed. */
export function parseRollingWindow(text: string): RollingWindow {
  const found = ROLLING_WINDOWS.find((w) => w === text);
  if (!found) throw new Error(`unknown window "${text}"; allowed: ${ROLLING_WINDOWS.join(', ')}`);
  return found;
}

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
export type Bucket<V = number> = {
  ts: Date;
  min: V;
  max: V;
  mean: V;
  first: V;
  last: V;
  count: number;
};

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

let cached: Map<string, NamedQuery> | undefined;
/** The parsed `analytics.sql`, read once per process. */
export function analyticsQueries(): Map<string, NamedQuery> {
  cached ??= loadQueries('./analytics.sql', import.meta.url);
  return cached;
}

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
  const sql = (name: string) => pick(Q, name);
  const { sampled, rolling } = analyticsStatements(Q);
  const hourly = sql('hourly');
  const daily = sql('daily');
  const trailing = sql('trailingDayMeanByHour');

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
      const rows = await db.query<{
        ts: Date;
        rate: number;
        count: string;
        mean: number;
        std: number | null;
      }>(q, [source, currency, iso(from), iso(to)]);
      return rows.map((r) => ({ ts: r.ts, rate: r.rate, count: Number(r.count), mean: r.mean, std: r.std }));
    },

    /** For each hour starting in [from, to): the mean of the minute rates of the 24 hours ending with it. */
    async trailingDayMeanByHour(
      source: string,
      currency: string,
      from: Instant,
      to: Instant,
    ): Promise<TrailingMean[]> {
      const rows = await db.query<{ ts: Date; mean: number; count: number | string }>(trailing, [
        source,
        currency,
        iso(alignDown('1h', ms(from))),
        iso(to),
      ]);
      return rows.map((r) => ({ ts: r.ts, mean: r.mean, count: Number(r.count) }));
    },
  };
}
