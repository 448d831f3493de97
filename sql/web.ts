/**
 * The dashboard's queries (`web.sql`) as typed functions; the history chart's interval fills the SAMPLE BY of its
 * query from a fixed list. QuestDB's LONG arrives over the PG wire as a string, so counts are converted here.
 */
import type { Db } from './db.ts';
import { fillSlots, loadQueries, pick, type NamedQuery } from './loader.ts';
import type { ForecastRow, JobRunRow, Poll, ScoreRow, SpoolStatusRow, Stored } from './tables.ts';

/** History intervals read from the minute rows (exact spread inside each bucket). */
export const HISTORY_RAW_INTERVALS = ['1m', '5m', '15m', '30m'] as const;
/** History intervals read from the rates_1h view (spread of the hourly means). */
export const HISTORY_VIEW_INTERVALS = ['1h', '4h', '1d', '1w'] as const;
export type HistoryInterval =
  (typeof HISTORY_RAW_INTERVALS)[number] | (typeof HISTORY_VIEW_INTERVALS)[number];

export type SeriesKey = { source: string; currency: string };
/** One history bucket: n rows, their mean, M2 (sum of squared deviations from the mean), min, max, last. */
export type HistoryBucket = { ts: Date } & Record<'n' | 'mean' | 'm2' | 'min' | 'max' | 'last', number>;
export type RatePoint = { ts: Date; rate: number };
export type LatestRate = { ts: Date; currency: string; rate: number };
export type Forecast = Stored<Omit<ForecastRow, 'source' | 'currency' | 'fitMs'>, 'ts' | 'madeAt'>;
type ScoreStat = 'rmse' | 'mae' | 'skill' | 'coverage50' | 'coverage90' | 'width90';
export type Score = Stored<Pick<ScoreRow, 'ts' | 'span' | 'model' | 'horizon' | 'n'>, 'ts'> &
  Record<ScoreStat, number | null>;
export type SuccessfulPoll = Stored<
  Pick<Poll, 'ts' | 'source' | 'fetchedAt' | 'latencyMs' | 'accepted'>,
  'ts' | 'fetchedAt'
>;
export type LastPoll = Stored<Pick<Poll, 'ts' | 'source' | 'attempt' | 'httpStatus'>, 'ts'> &
  Record<'reason' | 'error', string | null>;
export type ReasonCount = { source: string; reason: string; n: number; lastTs: Date };
export type SpoolDepth = Stored<SpoolStatusRow, 'ts'>;
export type JobRun = Stored<Omit<JobRunRow, 'durationMs' | 'error'>, 'ts' | 'windowEnd' | 'startedAt'> & {
  durationMs: number | null;
  error: string | null;
};
export type JobRunCount = { job: string; status: string; n: number; lastStarted: Date };
export type GapCount = { source: string; status: string; n: number; lastTs: Date };

export type WebQueries = ReturnType<typeof makeWebQueries>;

const QUERIES = loadQueries('./web.sql', import.meta.url);
/** The parsed `web.sql`. */
export const webQueries = (): Map<string, NamedQuery> => QUERIES;

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (ms: number): string => new Date(ms).toISOString();

/** Typed access to `web.sql`. Times are epoch milliseconds UTC; ranges are [from, to). */
export function makeWebQueries(db: Db) {
  const Q = webQueries();
  const rows = (name: string, params: unknown[] = []) => db.query<Row>(pick(Q, name), params);
  // Each interval's history: the minute rows themselves, or buckets of them or of the rates_1h view.
  const historySql = (interval: HistoryInterval): string => {
    if (interval === '1m') return pick(Q, 'minuteRates');
    const view = HISTORY_VIEW_INTERVALS.some((i) => i === interval);
    return fillSlots(pick(Q, view ? 'historyView' : 'historyRaw'), { interval });
  };
  const intervals = [...HISTORY_RAW_INTERVALS, ...HISTORY_VIEW_INTERVALS];
  const historyQueries = new Map(intervals.map((i) => [i, historySql(i)]));

  return {
    async ping(): Promise<void> {
      await rows('ping');
    },
    async tableNames(): Promise<Set<string>> {
      return new Set((await rows('tableNames')).map((r) => String(r.table_name)));
    },
    async seriesKeys(recentSince: number): Promise<SeriesKey[]> {
      const r = await rows('seriesKeys', [iso(recentSince)]);
      return r.map((x) => ({ source: String(x.source), currency: String(x.currency) }));
    },
    async sourceIds(): Promise<string[]> {
      return (await rows('sourceIds')).map((r) => String(r.id));
    },
    async currencyCodes(): Promise<string[]> {
      return (await rows('currencyCodes')).map((r) => String(r.code));
    },
    async history(
      key: SeriesKey,
      interval: HistoryInterval,
      from: number,
      to: number,
    ): Promise<HistoryBucket[]> {
      const params = [key.source, key.currency, iso(from), iso(to)];
      const r = await db.query<Row>(historyQueries.get(interval)!, params);
      if (interval === '1m')
        return r.map((x) => {
          const rate = num(x.rate);
          return { ts: x.ts as Date, n: 1, mean: rate, m2: 0, min: rate, max: rate, last: rate };
        });
      return r.map((x) => ({
        ts: x.ts as Date,
        n: num(x.n),
        mean: num(x.mean),
        m2: num(x.m2 ?? 0),
        min: num(x.min_rate),
        max: num(x.max_rate),
        last: num(x.last_rate),
      }));
    },
    async minuteRates(key: SeriesKey, from: number, to: number): Promise<RatePoint[]> {
      const r = await rows('minuteRates', [key.source, key.currency, iso(from), iso(to)]);
      return r.map((x) => ({ ts: x.ts as Date, rate: num(x.rate) }));
    },
    async latestRates(source: string, since: number): Promise<LatestRate[]> {
      const r = await rows('latestRates', [source, iso(since)]);
      return r.map((x) => ({ ts: x.ts as Date, currency: String(x.currency), rate: num(x.rate) }));
    },
    async latestForecasts(key: SeriesKey, since: number): Promise<Forecast[]> {
      return (await rows('latestForecasts', [key.source, key.currency, iso(since)])).map((r) => ({
        ts: r.ts as Date,
        madeAt: r.made_at as Date,
        horizon: num(r.horizon),
        model: String(r.model),
        mean: num(r.mean),
        lo50: num(r.lo50),
        hi50: num(r.hi50),
        lo90: num(r.lo90),
        hi90: num(r.hi90),
        points: num(r.points),
        leadSeries: r.lead_series === null ? null : String(r.lead_series),
        leadMinutes: numOrNull(r.lead_minutes),
      }));
    },
    async latestScores(key: SeriesKey, since: number): Promise<Score[]> {
      return (await rows('latestScores', [key.source, key.currency, iso(since)])).map((r) => ({
        ts: r.ts as Date,
        span: String(r.span),
        model: String(r.model),
        horizon: num(r.horizon),
        n: num(r.n),
        rmse: numOrNull(r.rmse),
        mae: numOrNull(r.mae),
        skill: numOrNull(r.skill),
        coverage50: numOrNull(r.coverage50),
        coverage90: numOrNull(r.coverage90),
        width90: numOrNull(r.width90),
      }));
    },
    async lastSuccessfulPolls(since: number): Promise<SuccessfulPoll[]> {
      return (await rows('lastSuccessfulPolls', [iso(since)])).map((r) => ({
        ts: r.ts as Date,
        source: String(r.source),
        fetchedAt: r.fetched_at as Date,
        latencyMs: num(r.latency_ms),
        accepted: num(r.accepted),
      }));
    },
    async lastPolls(since: number): Promise<LastPoll[]> {
      return (await rows('lastPolls', [iso(since)])).map((r) => ({
        ts: r.ts as Date,
        source: String(r.source),
        attempt: num(r.attempt),
        httpStatus: num(r.http_status),
        reason: (r.reason as string | null) ?? null,
        error: (r.error as string | null) || null,
      }));
    },
    async rejectionsByReason(since: number): Promise<ReasonCount[]> {
      return (await rows('rejectionsByReason', [iso(since)])).map((x) => ({
        source: String(x.source),
        reason: String(x.reason),
        n: num(x.n),
        lastTs: x.last_ts as Date,
      }));
    },
    async spoolDepth(since: number): Promise<SpoolDepth[]> {
      return (await rows('spoolDepth', [iso(since)])).map((r) => ({
        ts: r.ts as Date,
        poller: String(r.poller),
        channel: String(r.channel),
        files: num(r.files),
        bytes: num(r.bytes),
        maxBytes: num(r.max_bytes),
        full: r.full === true,
        lost: num(r.lost),
      }));
    },
    async recentJobRuns(since: number): Promise<JobRun[]> {
      return (await rows('recentJobRuns', [iso(since)])).map((r) => ({
        ts: r.ts as Date,
        job: String(r.job),
        windowEnd: r.window_end as Date,
        startedAt: r.started_at as Date,
        status: String(r.status),
        durationMs: numOrNull(r.duration_ms),
        rowsTouched: num(r.rows_touched ?? 0),
        error: (r.error as string | null) || null,
      }));
    },
    async jobRunCounts(since: number): Promise<JobRunCount[]> {
      return (await rows('jobRunCounts', [iso(since)])).map((x) => ({
        job: String(x.job),
        status: String(x.status),
        n: num(x.n),
        lastStarted: x.last_started as Date,
      }));
    },
    async gapCounts(since: number): Promise<GapCount[]> {
      return (await rows('gapCounts', [iso(since)])).map((x) => ({
        source: String(x.source),
        status: String(x.status),
        n: num(x.n),
        lastTs: x.last_ts as Date,
      }));
    },
  };
}
