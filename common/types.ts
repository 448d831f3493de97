/** Domain types shared by every stage: sources, rates, polls, and the injected clock. */

/** The rate APIs the poller knows; each has an adapter in `ingest/sources/`. */
export const SOURCE_NAMES = [
  ...['blockchain', 'coinbase', 'coingecko', 'coindesk'],
  ...['kraken', 'bitstamp', 'coinbase_exchange', 'gemini', 'binance'],
] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** Every reason a poll, or a currency of it, gives no rate: what `polls` and `rejections` reasons hold. */
export const REJECTION_REASONS = [
  ...['network', 'http_status', 'rate_limited', 'unavailable_here'],
  ...['empty_body', 'html_page', 'not_json', 'truncated', 'bad_shape', 'no_rates'],
  ...['bad_currency_code', 'not_a_number', 'not_finite', 'not_positive', 'absurd_jump'],
  ...['self_quote', 'bad_quote_time'],
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Known states of a healthy answer: counted in `rejections`, not as a poll's rejected, reason or error. */
export const FILTERED_REASONS: ReadonlySet<string> = new Set<RejectionReason>(['self_quote']);

export type { Currency, Poll, Rate, RejectionRow } from '../sql/tables.ts';

/** Time is injected so tests and the soak can run an hour of minutes in seconds. */
export type Clock = {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Wall-clock milliseconds that `ms` of this clock's time take (the same when absent): for real timeouts. */
  realMs?(ms: number): number;
};
