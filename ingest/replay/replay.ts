/**
 * Replay: rebuild the rows of minutes [from, to) from the raw archive through the poller's own normalization, the
 * same rows on every run. Batches are written in order while reading goes on; a killed run resumes from its saved
 * progress. Without `force` only absent keys are written; with it every row, stored rows no longer given are `stale`.
 */
import { createHash } from 'node:crypto';
import { SOURCE_NAMES, type Clock, type SourceName } from '../../common/types.ts';
import type { Db } from '../../sql/db.ts';
import { waitForWal } from '../../sql/wal.ts';
import type { RawEnvelope } from '../archive/envelope.ts';
import type { ArchiveStore } from '../archive/store.ts';
import type { Store } from '../store.ts';
import { CLOCK_LEAD_MS, listingWindow } from '../archive/keys.ts';
import { makeMinuteBuffer, makeReplayNormalizer, type MinuteGroup, type MinuteOutput } from './minutes.ts';
import { readArchive, type ArchiveObject } from './reader.ts';
import * as T from './tables.ts';
import { selectRows, type RowFilter, type StoredKeys } from './writer.ts';

const MINUTE = 60_000;
const SAVE_EVERY_MS = 2_000;
const WRITES_AHEAD = 2;

export type ReplayOptions = {
  /** Whole minutes, epoch ms: [from, to). Sources: null for all. */
  from: number;
  to: number;
  sources: SourceName[] | null;
  force: boolean;
  /** How long after its minute an envelope may arrive and still count. */
  slackMs: number;
  /** Rates and polls rows per ILP request (a batch ends at a minute boundary), and objects fetched at once. */
  batchRows: number;
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
  /** Aborted: stop after the object or batch in hand (the summary says `interrupted`). */
  signal?: AbortSignal;
  /** Narrower writes (the gap repair): which of the normalized rows to write. */
  select?: RowFilter;
  onStart?(info: { runKey: string; resumedFrom: number | null }): void;
  onMinute?(out: MinuteOutput): void;
  onObject?(o: ArchiveObject): void;
  /** After each object read and each batch written. */
  onProgress?(p: ReplayPosition): void;
};

const ZERO = {
  objects: 0,
  bytes: 0,
  /** Objects with corrupt lines, and those lines (skipped). */
  badObjects: 0,
  badLines: 0,
  /** Envelopes in range kept, skipped as repeats of an id, and left out for arriving after the slack. */
  envelopes: 0,
  duplicates: 0,
  late: 0,
  rates: 0,
  ratesWritten: 0,
  ratesKept: 0,
  ratesReplaced: 0,
  stale: 0,
  polls: 0,
  pollsWritten: 0,
  currencies: 0,
};
/** What a summary counts (cumulative over an interrupted run and its continuation). */
export type Counters = typeof ZERO;
export const zeroCounters = (): Counters => ({ ...ZERO });

export type ReplayPosition = {
  /** Arrival time of the last object read, within the listed window [listFrom, listTo). */
  arrival: number;
  listFrom: number;
  listTo: number;
  counters: Counters;
  /** Rates rows normalized, and written (acknowledged by QuestDB and saved as progress), by this process. */
  ratesThisRun: number;
  writtenThisRun: number;
};

export type ReplaySummary = {
  runKey: string;
  resumedFrom: number | null;
  counters: Counters;
  ratesThisRun: number;
  staleDays: string[];
  interrupted: boolean;
};

/** Normalized minutes [from, to) to write, and the state to resume from once they are written. */
type Batch = { from: number; to: number; outs: MinuteOutput[]; state: T.SavedState };

export async function runReplay(opts: ReplayOptions, deps: ReplayDeps): Promise<ReplaySummary> {
  const { db, clock, signal } = deps;
  const sources = new Set<string>(opts.sources ?? SOURCE_NAMES);
  // A run is its range, mode, sources, slack and archive: the same command finds its own progress again.
  const args = JSON.stringify({
    archive: deps.archiveName,
    from: new Date(opts.from).toISOString(),
    to: new Date(opts.to).toISOString(),
    force: opts.force,
    sources: [...sources].sort(),
    slackMs: opts.slackMs,
  });
  const key = createHash('sha256').update(args).digest('hex').slice(0, 16);
  const run = { key, from: opts.from, to: opts.to, args };

  // Rows a killed run wrote just before it died must be visible to what follows.
  await waitForWal(db, ['rates', 'polls', 'rejections', 'currencies', 'replay_progress']);
  const saved = opts.resumable && !opts.fresh ? await T.loadProgress(db, run.key) : null;
  const resume = saved?.status === 'running' && saved.doneUntil > opts.from ? saved : null;
  const start = Math.min(resume?.doneUntil ?? opts.from, opts.to);
  const c: Counters = { ...ZERO, ...resume?.state.counters };
  const normalizer = makeReplayNormalizer({
    previous: resume?.state.previous ?? (await T.readPrevious(db, start, sources)),
    firstSeen: await T.readFirstSeen(db),
  });
  // Nothing can have arrived after now: a recent range is listed up to the present only.
  const window = listingWindow(start, opts.to, opts.slackMs);
  const listing = { from: window.from, to: Math.min(window.to, clock.now() + CLOCK_LEAD_MS) };
  const staleDays = new Set<string>();
  const pos = { arrival: 0, ratesThisRun: 0, writtenThisRun: 0, lastKey: '' };
  const report = () => deps.onProgress?.({ ...pos, listFrom: listing.from, listTo: listing.to, counters: c });
  const resumedFrom = resume ? start : null;
  deps.onStart?.({ runKey: key, resumedFrom });

  let lastSave = -Infinity;
  let saving: Promise<void> = Promise.resolve(); // the progress save of the last batch written
  async function write(batch: Batch, storedKeys: Promise<StoredKeys>): Promise<void> {
    const s = selectRows(batch.outs, await storedKeys, { force: opts.force, only: deps.select });
    const rows = s.batch;
    const any = rows.rates.length + rows.polls.length + rows.currencies.length > 0;
    // The batch's rows go while the previous batch's progress is saved; its own is saved after both.
    await Promise.all([any ? deps.store.write(rows) : null, saving]);
    // The saved state carries the write counts so far (batches are written in order), so a resumed run counts them.
    const add = (k: keyof Counters, n: number) => (batch.state.counters[k] = c[k] += n);
    add('ratesWritten', rows.rates.length);
    add('pollsWritten', rows.polls.length);
    add('currencies', rows.currencies.length);
    add('ratesKept', s.kept);
    add('ratesReplaced', s.replaced);
    add('stale', s.stale.length);
    for (const key of s.stale) staleDays.add(new Date(Number(key.split('|')[0])).toISOString().slice(0, 10));
    // A save costs a WAL transaction: at most every SAVE_EVERY_MS (a resumed run keeps rows written since).
    const at = clock.now();
    const save = opts.resumable && at - lastSave >= SAVE_EVERY_MS;
    if (save) lastSave = at;
    const p = { doneUntil: batch.to, status: 'running' as const, state: batch.state, lastKey: pos.lastKey };
    saving = (async () => {
      if (save) await T.saveProgress(deps.store, run, { ...p, at });
      // Reported after its save: the rows a display shows are rows a resumed run counts as done.
      pos.writtenThisRun += rows.rates.length;
      report();
    })();
    saving.catch(() => {}); // awaited by the next write or at the end
  }

  // Batches are written one at a time, in order, while reading goes on, with at most WRITES_AHEAD queued. Each
  // promise settles when its batch is written, or rejects with the first failure before it.
  const writes: Promise<void>[] = [];
  let outs: MinuteOutput[] = [];
  let rows = 0;
  async function flush(to: number): Promise<void> {
    if (outs.length === 0) return;
    const state = { previous: normalizer.state(), counters: { ...c } };
    const batch = { from: outs[0]!.minute, to, outs, state };
    [outs, rows] = [[], 0];
    // The next batch is built and sent before reading goes on, so reading fills the wait for QuestDB's ack.
    if (writes.length >= WRITES_AHEAD) await writes.shift()?.then(() => new Promise((r) => setImmediate(r)));
    // Candle rows lie before their page's minute: the stored keys are read from the earliest row on.
    const low = batch.outs.reduce((m, o) => o.candles.reduce((n, r) => Math.min(n, r.ts), m), batch.from);
    // Rows of earlier batches still being written must be stored and applied before their keys are read.
    if (low < batch.from) await Promise.all(writes).then(() => waitForWal(db, ['rates']));
    const storedKeys = T.readKeys(db, low, to);
    storedKeys.catch(() => {}); // awaited in `write`
    const written = (writes.at(-1) ?? Promise.resolve()).then(() => write(batch, storedKeys));
    written.catch(() => {}); // awaited at a later flush or at the end
    writes.push(written);
  }
  async function normalize(groups: MinuteGroup[]): Promise<void> {
    for (const g of groups) {
      const out = normalizer.normalizeMinute(g.minute, g.envelopes);
      deps.onMinute?.(out);
      const rates = out.rates.length + out.candles.length;
      c.rates += rates;
      c.polls += out.polls.length;
      pos.ratesThisRun += rates;
      outs.push(out);
      rows += rates + out.polls.length;
      if (rows >= opts.batchRows) await flush(g.minute + MINUTE);
      if (signal?.aborted) return;
    }
  }

  const buffer = makeMinuteBuffer();
  const want = (e: RawEnvelope) => sources.has(e.source);
  const read = { ...opts, prefix: deps.prefix, arrival: listing, from: start, want };
  let done = false;
  try {
    for await (const o of start < opts.to ? readArchive(deps.archive, read) : []) {
      let kept = 0;
      for (const e of o.envelopes) if (buffer.add(e, Date.parse(e.minute))) kept++;
      c.objects++;
      c.bytes += o.bytes;
      c.late += o.late;
      c.envelopes += kept;
      c.duplicates += o.envelopes.length - kept;
      c.badObjects += o.bad.length > 0 ? 1 : 0;
      c.badLines += o.bad.length;
      [pos.lastKey, pos.arrival] = [o.key, o.arrival];
      deps.onObject?.(o);
      report();
      await normalize(buffer.takeBefore(o.arrival - MINUTE - opts.slackMs));
      if (signal?.aborted) break;
    }
    if (!signal?.aborted) {
      await normalize(buffer.takeAll());
      await flush(opts.to);
      done = true;
    }
  } catch (err) {
    await Promise.allSettled(writes); // let the batches under way land (and their progress be saved) first
    await saving.catch(() => {});
    throw err;
  }
  for (const w of writes) await w;
  await saving;
  if (done && opts.resumable) {
    const state = { previous: normalizer.state(), counters: c };
    const p = { doneUntil: opts.to, status: 'done' as const, state, lastKey: pos.lastKey };
    await T.saveProgress(deps.store, run, { ...p, at: clock.now() });
  }
  return {
    runKey: key,
    resumedFrom,
    counters: c,
    ratesThisRun: pos.ratesThisRun,
    staleDays: [...staleDays].sort(),
    interrupted: !done,
  };
}
