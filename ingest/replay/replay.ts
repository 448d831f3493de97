/**
 * Replay: rebuild `rates`, `polls` and first-seen `currencies` rows of minutes [from, to) from the raw archive,
 * through the poller's own normalization. Objects are read in arrival order; a minute is normalized once no
 * later object can add to it (its arrival deadline is passed), envelopes deduplicated by id and ordered per
 * source by attempt, fetch time and id, with the jump check's memory seeded from QuestDB (or from the saved
 * progress of a killed run) — so every run over the same archive computes the same rows.
 *
 * What is written: without `force`, only rows whose keys are absent (what is stored stays as it is, so a second
 * run writes nothing); with `force`, every row (today's parsers win: the path for a parser fix). Rows a fixed
 * parser no longer produces cannot be deleted (QuestDB has no DELETE) and are counted as `stale`.
 */
import { createHash } from 'node:crypto';
import { SOURCE_NAMES, type Clock, type Poll, type Rate, type SourceName } from '../../common/types.ts';
import type { Db } from '../../sql/db.ts';
import type { RawEnvelope } from '../archive/envelope.ts';
import type { Store } from '../store.ts';
import { makeMinuteBuffer, type MinuteGroup } from './buffer.ts';
import { CLOCK_LEAD_MS, listingWindow } from './keys.ts';
import { makeReplayNormalizer, type MinuteOutput } from './normalizer.ts';
import { readArchive, type ArchiveObject, type ArchiveStore } from './reader.ts';
import * as T from './tables.ts';
import { makePipeline, selectRows, type StoredKeys } from './writer.ts';

export type ReplayOptions = {
  /** Whole minutes, epoch ms: [from, to). */
  from: number;
  to: number;
  /** Sources to replay; null for all. */
  sources: SourceName[] | null;
  force: boolean;
  /** How long after its minute an envelope may arrive and still count. */
  slackMs: number;
  /** Rates rows per ILP request (a batch ends at a minute boundary). */
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
  archive: ArchiveStore;
  /** Key prefix of the archive (RAW_PREFIX) and its name for humans (s3://bucket/prefix). */
  prefix: string;
  archiveName: string;
  clock: Clock;
  signal?: AbortSignal;
  /** Narrower reads and writes (the gap repair): which envelopes to read, which rows to write. */
  select?: { envelope?(e: RawEnvelope): boolean; rate(r: Rate): boolean; poll(p: Poll): boolean };
  onMinute?(out: MinuteOutput): void;
  onStart?(info: { runKey: string; resumedFrom: number | null; listFrom: number; listTo: number }): void;
  /** After each object read (bad lines are in `o.bad`). */
  onObject?(o: ArchiveObject): void;
  /** After each object read and each batch written. */
  onProgress?(p: ReplayPosition): void;
};

export type ReplayPosition = {
  arrival: number;
  listFrom: number;
  listTo: number;
  counters: T.Counters;
  /** Rates rows normalized, and written (acknowledged by QuestDB), by this process so far. */
  ratesThisRun: number;
  writtenThisRun: number;
};

export type ReplaySummary = {
  runKey: string;
  resumedFrom: number | null;
  /** See COUNTERS. */
  counters: T.Counters;
  /** Rates normalized by this process (the rows/s figure). */
  ratesThisRun: number;
  staleDays: string[];
  interrupted: boolean;
};

const MINUTE = 60_000;

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

export async function runReplay(opts: ReplayOptions, deps: ReplayDeps): Promise<ReplaySummary> {
  const { db, clock } = deps;
  const sources = new Set<string>(opts.sources ?? SOURCE_NAMES);
  const args = JSON.stringify({
    archive: deps.archiveName,
    from: new Date(opts.from).toISOString(),
    to: new Date(opts.to).toISOString(),
    force: opts.force,
    sources: [...sources].sort(),
    slackMs: opts.slackMs,
  });
  const run = {
    key: createHash('sha256').update(args).digest('hex').slice(0, 16),
    from: opts.from,
    to: opts.to,
    args,
  };

  await T.waitForWal(db, T.REPLAY_TABLES);
  const saved = opts.resumable && !opts.fresh ? await T.loadProgress(db, run.key) : null;
  const resume = saved?.status === 'running' && saved.doneUntil > opts.from ? saved : null;
  const start = Math.min(resume?.doneUntil ?? opts.from, opts.to);
  const c: T.Counters = { ...Object.fromEntries(COUNTERS.map((k) => [k, 0])), ...resume?.state.counters };
  const add = (k: string, n = 1) => (c[k] = (c[k] ?? 0) + n);
  const normalizer = makeReplayNormalizer({
    previous: resume?.state.previous ?? (await T.readPrevious(db, start, sources)),
    firstSeen: await T.readFirstSeen(db),
  });
  const staleDays = new Set<string>();
  let ratesThisRun = 0;
  let writtenThisRun = 0;
  let lastKey = '';
  let arrival = 0;
  // Nothing can have arrived after now: a recent range is listed up to the present only.
  const window = listingWindow(start, opts.to, opts.slackMs);
  const listing = { from: window.from, to: Math.min(window.to, clock.now() + CLOCK_LEAD_MS) };
  const report = () =>
    deps.onProgress?.({
      arrival,
      listFrom: listing.from,
      listTo: listing.to,
      counters: c,
      ratesThisRun,
      writtenThisRun,
    });

  type Cut = { from: number; to: number; outs: MinuteOutput[]; state: T.SavedState; written: number };
  let outs: MinuteOutput[] = [];
  let rows = 0;
  const pipeline = makePipeline<Cut, StoredKeys>({
    prepare: (cut) => T.readKeys(db, cut.from, cut.to),
    async write(cut, stored) {
      const s = selectRows(cut.outs, stored, {
        force: opts.force,
        ...(deps.select ? { only: deps.select } : {}),
      });
      const { batch } = s;
      if (batch.rates.length + batch.polls.length + batch.currencies.length > 0)
        await deps.store.write(batch);
      // What a batch adds to the counters goes into its saved state too, so a resumed run counts it.
      const add = (k: string, n: number) => {
        c[k] = (c[k] ?? 0) + n;
        cut.state.counters[k] = (cut.state.counters[k] ?? 0) + n;
      };
      add('ratesWritten', batch.rates.length);
      add('pollsWritten', batch.polls.length);
      add('currencies', batch.currencies.length);
      add('ratesKept', s.kept);
      add('ratesReplaced', s.replaced);
      add('stale', s.stale.length);
      for (const key of s.stale)
        staleDays.add(new Date(Number(key.split('|')[0])).toISOString().slice(0, 10));
      cut.written = batch.rates.length;
    },
    save: async (cut) => {
      if (opts.resumable)
        await T.saveProgress(db, run, {
          doneUntil: cut.to,
          status: 'running',
          state: cut.state,
          lastKey,
          at: clock.now(),
        });
      // Reported once saved: a progress display never shows rows a resumed run would not count as done.
      writtenThisRun += cut.written;
      report();
    },
  });

  /** Hand the minutes normalized so far to the writer. */
  async function cut(to: number): Promise<void> {
    if (outs.length === 0) return;
    const state = { previous: normalizer.state(), counters: { ...c } };
    const batch: Cut = { from: outs[0]!.minute, to, outs, state, written: 0 };
    outs = [];
    rows = 0;
    await pipeline.submit(batch);
  }

  async function normalizeGroups(groups: MinuteGroup[]): Promise<void> {
    for (const g of groups) {
      const out = normalizer.normalizeMinute(g.minute, g.envelopes);
      deps.onMinute?.(out);
      add('rates', out.rates.length);
      add('polls', out.polls.length);
      ratesThisRun += out.rates.length;
      outs.push(out);
      rows += out.rates.length + out.polls.length;
      if (rows >= opts.batchRows) await cut(g.minute + MINUTE);
    }
  }

  const buffer = makeMinuteBuffer();
  deps.onStart?.({
    runKey: run.key,
    resumedFrom: resume ? start : null,
    listFrom: listing.from,
    listTo: listing.to,
  });
  let interrupted = false;
  if (start < opts.to)
    for await (const o of readArchive(deps.archive, {
      prefix: deps.prefix,
      arrival: listing,
      from: start,
      to: opts.to,
      slackMs: opts.slackMs,
      concurrency: opts.concurrency,
      want: (e) => sources.has(e.source) && (deps.select?.envelope?.(e) ?? true),
    })) {
      add('objects');
      add('bytes', o.bytes);
      add('late', o.late);
      if (o.bad.length > 0) {
        add('badObjects');
        add('badLines', o.bad.length);
      }
      for (const e of o.envelopes) add(buffer.add(e, Date.parse(e.minute)) ? 'envelopes' : 'duplicates');
      lastKey = o.key;
      await normalizeGroups(buffer.takeBefore(o.arrival - MINUTE - opts.slackMs));
      arrival = o.arrival;
      deps.onObject?.(o);
      report();
      if (deps.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
  if (!interrupted) {
    await normalizeGroups(buffer.takeAll());
    await cut(opts.to);
  }
  await pipeline.finish();
  if (!interrupted && opts.resumable)
    await T.saveProgress(db, run, {
      doneUntil: opts.to,
      status: 'done',
      state: { previous: normalizer.state(), counters: c },
      lastKey,
      at: clock.now(),
    });
  return {
    runKey: run.key,
    resumedFrom: resume ? start : null,
    counters: c,
    ratesThisRun,
    staleDays: [...staleDays].sort(),
    interrupted,
  };
}
