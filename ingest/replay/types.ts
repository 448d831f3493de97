/** The shapes a replay is called with and answers with. */
import type { Clock, Poll, Rate, SourceName } from '../../common/types.ts';
import type { Db } from '../../sql/db.ts';
import type { Store } from '../store.ts';
import type { MinuteOutput } from './normalizer.ts';
import type { ObjectEvent } from './produce.ts';
import type { Producer } from './producers.ts';

export type ReplayOptions = {
  /** Whole minutes, epoch ms: [from, to). */
  from: number;
  to: number;
  /** Sources to replay; null for all. */
  sources: SourceName[] | null;
  force: boolean;
  /** How long after its minute an envelope may arrive and still count. */
  slackMs: number;
  /** Rates and polls rows per ILP request (a batch ends at a minute boundary). */
  batchRows: number;
  /** Archive objects fetched at once. */
  concurrency: number;
  /** Record progress and continue a killed run with the same parameters (`fresh`: ignore a saved one). */
  resumable: boolean;
  fresh: boolean;
};

export type ReplayDeps = {
  db: Db;
  store: Store;
  /** Where the archive is read and normalized: producers.ts (in this thread, or a worker). */
  producer: Producer;
  /** Key prefix of the archive (RAW_PREFIX) and its name for humans (s3://bucket/prefix). */
  prefix: string;
  archiveName: string;
  clock: Clock;
  signal?: AbortSignal;
  /** Narrower writes (the gap repair): which of the normalized rows to write. */
  select?: { rate(r: Rate): boolean; poll(p: Poll): boolean };
  onMinute?(out: MinuteOutput): void;
  onStart?(info: { runKey: string; resumedFrom: number | null; listFrom: number; listTo: number }): void;
  /** After each object read (its corrupt lines are in `o.bad`). */
  onObject?(o: ObjectEvent): void;
  /** After each object read and each batch written. */
  onProgress?(p: ReplayPosition): void;
};

export type ReplayPosition = {
  arrival: number;
  listFrom: number;
  listTo: number;
  counters: Counters;
  /** Rates rows normalized, and written (acknowledged by QuestDB and saved as progress), by this process. */
  ratesThisRun: number;
  writtenThisRun: number;
};

/** What a summary counts (cumulative over an interrupted run and its continuation). */
export const COUNTERS = [
  'objects',
  'bytes',
  'badObjects',
  'badLines',
  'envelopes',
  'duplicates',
  'late',
  'rates',
  'ratesWritten',
  'ratesKept',
  'ratesReplaced',
  'stale',
  'polls',
  'pollsWritten',
  'currencies',
] as const;
export type Counters = Record<string, number>;

export type ReplaySummary = {
  runKey: string;
  resumedFrom: number | null;
  counters: Counters;
  /** Rates normalized by this process (the rows/s figure). */
  ratesThisRun: number;
  staleDays: string[];
  interrupted: boolean;
};
