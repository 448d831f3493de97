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
  /** The first rejection reason ('network' when no response came), empty when everything was accepted. */
  reason: string;
  /** Poll-level error or every rejection with its detail, empty when everything was accepted. */
  error: string;
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
