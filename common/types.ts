/** Domain types shared by every stage: sources, rates, polls, and the injected clock. */

/** The rate APIs the poller knows; each has an adapter in `ingest/sources/`. */
export const SOURCE_NAMES = [
  ...['blockchain', 'coinbase', 'coingecko', 'coindesk'],
  ...['kraken', 'bitstamp', 'coinbase_exchange', 'gemini', 'binance'],
] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/**
 * Every reason a poll, or one currency of it, is not turned into a rate: the one list. `polls.reason` and
 * `rejections.reason` hold nothing else.
 */
export const REJECTION_REASONS = [
  'network',
  'http_status',
  'rate_limited',
  'unavailable_here',
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

export type { Currency, Poll, Rate, RejectionRow } from '../sql/tables.ts';

/** Time is injected so tests and the soak can run an hour of minutes in seconds. */
export type Clock = {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Wall-clock milliseconds that `ms` of this clock's time take (the same when absent): for real timeouts. */
  realMs?(ms: number): number;
};
