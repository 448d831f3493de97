/** Domain types shared by every stage: sources, rates, polls, and the injected clock. */

/** The rate APIs the poller knows; each has an adapter in `ingest/sources/`. */
export const SOURCE_NAMES = ['blockchain', 'coinbase', 'coingecko', 'coindesk'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** One normalized observation: the row shape of the `rates` table. */
export type Rate = {
  /** Observation minute (the poll's scheduled minute), epoch milliseconds UTC. */
  ts: number;
  source: string;
  currency: string;
  rate: number;
  /** The source's own quote time, epoch ms, when it reports one. */
  quoteTs: number | null;
};

/**
 * Every reason a poll, or one currency of it, is not turned into a rate: the one list. `polls.reason` and
 * `rejections.reason` hold nothing else.
 */
export const REJECTION_REASONS = [
  'network',
  'http_status',
  'rate_limited',
  'empty_body',
  'html_page',
  'not_json',
  'truncated',
  'bad_shape',
  'no_rates',
  'bad_currency_code',
  'not_a_number',
  'not_finite',
  'not_positive',
  'absurd_jump',
  'self_quote',
  'bad_quote_time',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/**
 * Known, permanent conditions of a healthy answer (Coinbase lists BTC priced in itself every minute): filtered
 * and counted in `rejections`, but not a poll's `rejected`, `reason` or `error`.
 */
export const FILTERED_REASONS: ReadonlySet<string> = new Set<RejectionReason>(['self_quote']);

/** One API call (one attempt): the row shape of the `polls` table. */
export type Poll = {
  /** Scheduled minute, epoch ms UTC. */
  ts: number;
  source: string;
  attempt: number;
  /** POLLER_ID of the process that made the call: two pollers' calls are two rows. */
  poller: string;
  fetchedAt: number;
  httpStatus: number;
  latencyMs: number;
  bytes: number;
  accepted: number;
  rejected: number;
  /** Id of the raw envelope in the archive: the lineage from rows back to S3. */
  archiveId: string;
  /** The first rejection reason that is not filtered, empty when nothing was rejected. */
  reason: RejectionReason | '';
  /** Every rejection (not filtered) with its detail, empty when nothing was rejected. */
  error: string;
};

/** One value (or, with `currency` null, the whole poll) not turned into a rate: the row shape of `rejections`. */
export type RejectionRow = {
  /** The poll's scheduled minute, source, attempt and poller: the `polls` row it belongs to. */
  ts: number;
  source: string;
  attempt: number;
  poller: string;
  currency: string | null;
  reason: RejectionReason;
  detail: string;
};

/** A currency code seen for the first time: the row shape of the `currencies` table. */
export type Currency = {
  code: string;
  name: string;
  kind: 'fiat' | 'crypto' | 'unknown';
  firstSeen: number;
  firstSource: string;
};

/** Time is injected so tests and the soak can run an hour of minutes in seconds. */
export type Clock = {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Wall-clock milliseconds that `ms` of this clock's time take (the same when absent): for real timeouts. */
  realMs?(ms: number): number;
};
