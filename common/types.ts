/** Domain types shared by every stage: sources, rates, polls, and the injected clock. */

/** The rate APIs the poller knows; each has an adapter in `ingest/sources/`. */
export const SOURCE_NAMES = ['blockchain', 'coinbase', 'coingecko', 'coindesk'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

export type { Currency, Poll, Rate } from '../sql/tables.ts';

/** Time is injected so tests and the soak can run an hour of minutes in seconds. */
export type Clock = {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Wall-clock milliseconds that `ms` of this clock's time take (the same when absent): for real timeouts. */
  realMs?(ms: number): number;
};
