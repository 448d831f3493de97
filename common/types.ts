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

/** One API call: the row shape of the `polls` table. */
export type Poll = {
  /** Scheduled minute, epoch ms UTC. */
  ts: number;
  source: string;
  fetchedAt: number;
  httpStatus: number;
  latencyMs: number;
  bytes: number;
  accepted: number;
  rejected: number;
  /** Id of the raw envelope in the archive: the lineage from rows back to S3. */
  archiveId: string;
  /** Poll-level error or the rejection reasons, empty when everything was accepted. */
  error: string;
};

/** Time is injected so tests and the soak can run an hour of minutes in seconds. */
export type Clock = {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
};
