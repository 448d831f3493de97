/**
 * Replay: rebuild `rates`, `polls` and first-seen `currencies` rows of minutes [from, to) from the raw archive,
 * through the poller's own normalization (produce.ts reads and normalizes; this module decides what to write,
 * writes it and records progress). The jump check's memory starts from QuestDB's last accepted rates before
 * the first minute, or from the saved progress of a killed run with the same parameters, which then continues
 * after its last acknowledged batch — so every run over the same archive computes the same rows.
 *
 * What is written: without `force`, only rows whose keys are absent (what is stored stays as it is, so a second
 * run writes nothing); with `force`, every row (today's parsers win: the path for a parser fix). Rows a fixed
 * parser no longer produces cannot be deleted (QuestDB has no DELETE) and are counted as `stale`.
 */
import { createHash } from 'node:crypto';
import { SOURCE_NAMES } from '../../common/types.ts';
import { CLOCK_LEAD_MS, listingWindow } from './keys.ts';
import type { MinuteOutput } from './normalizer.ts';
import * as T from './tables.ts';
import { COUNTERS, type Counters, type ReplayDeps, type ReplayOptions, type ReplaySummary } from './types.ts';
import { makePipeline, selectRows, type StoredKeys } from './writer.ts';

export * from './types.ts';

const SAVE_EVERY_MS = 2_000;

type Cut = {
  from: number;
  to: number;
  outs: MinuteOutput[];
  ilp?: Uint8Array;
  state: T.SavedState;
  written: number;
};

export async function runReplay(opts: ReplayOptions, deps: ReplayDeps): Promise<ReplaySummary> {
  const { db, clock } = deps;
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
  const run = {
    key: createHash('sha256').update(args).digest('hex').slice(0, 16),
    from: opts.from,
    to: opts.to,
    args,
  };

  // Rows a killed run wrote just before it died must be visible to what follows.
  await T.waitForWal(db, T.REPLAY_TABLES);
  const saved = opts.resumable && !opts.fresh ? await T.loadProgress(db, run.key) : null;
  const resume = saved?.status === 'running' && saved.doneUntil > opts.from ? saved : null;
  const start = Math.min(resume?.doneUntil ?? opts.from, opts.to);
  const c: Counters = { ...Object.fromEntries(COUNTERS.map((k) => [k, 0])), ...resume?.state.counters };
  const add = (k: string, n = 1) => (c[k] = (c[k] ?? 0) + n);
  const previous = resume?.state.previous ?? (await T.readPrevious(db, start, sources));
  const firstSeen = await T.readFirstSeen(db);
  // Nothing can have arrived after now: a recent range is listed up to the present only.
  const window = listingWindow(start, opts.to, opts.slackMs);
  const listing = { from: window.from, to: Math.min(window.to, clock.now() + CLOCK_LEAD_MS) };
  const staleDays = new Set<string>();
  const pos = { arrival: 0, ratesThisRun: 0, writtenThisRun: 0, lastKey: '' };
  const report = () => deps.onProgress?.({ ...pos, listFrom: listing.from, listTo: listing.to, counters: c });

  let lastSave = -Infinity;
  const pipeline = makePipeline<Cut, StoredKeys>({
    prepare: (cut) => T.readKeys(db, cut.from, cut.to),
    async write(cut, stored) {
      const only = deps.select ? { only: deps.select } : {};
      const s = selectRows(cut.outs, stored, { force: opts.force, ...only });
      const { batch } = s;
      // Nothing of the cut stored and no `only`: every row goes, so rows the worker built go as they are.
      const built = !deps.select && stored.rates.size + stored.polls.size === 0 ? cut.ilp : undefined;
      if (batch.rates.length + batch.polls.length + batch.currencies.length > 0) {
        if (built && deps.store.writeBuilt) await deps.store.writeBuilt(built);
        else await deps.store.write(batch);
      }
      // What a batch adds to the counters goes into its saved state too, so a resumed run counts it.
      const counted = (k: string, n: number) => {
        add(k, n);
        cut.state.counters[k] = (cut.state.counters[k] ?? 0) + n;
      };
      counted('ratesWritten', batch.rates.length);
      counted('pollsWritten', batch.polls.length);
      counted('currencies', batch.currencies.length);
      counted('ratesKept', s.kept);
      counted('ratesReplaced', s.replaced);
      counted('stale', s.stale.length);
      for (const key of s.stale)
        staleDays.add(new Date(Number(key.split('|')[0])).toISOString().slice(0, 10));
      cut.written = batch.rates.length;
    },
    async save(cut) {
      // Every batch acknowledged is safe to resume after, but saving each one costs QuestDB a WAL transaction:
      // save the first, then at most every SAVE_EVERY_MS (a resumed run finds the rest stored and keeps it).
      if (opts.resumable && clock.now() - lastSave >= SAVE_EVERY_MS) {
        lastSave = clock.now();
        await T.saveProgress(db, run, {
          doneUntil: cut.to,
          status: 'running',
          state: cut.state,
          lastKey: pos.lastKey,
          at: lastSave,
        });
      }
      // Reported after its save: the first rows a display shows are rows a resumed run counts as done.
      pos.writtenThisRun += cut.written;
      report();
    },
  });

  const production = deps.producer({
    prefix: deps.prefix,
    listing,
    from: start,
    to: opts.to,
    slackMs: opts.slackMs,
    batchRows: opts.batchRows,
    concurrency: opts.concurrency,
    sources: [...sources],
    previous,
    firstSeen: [...firstSeen],
  });
  deps.onStart?.({
    runKey: run.key,
    resumedFrom: resume ? start : null,
    listFrom: listing.from,
    listTo: listing.to,
  });
  let last = previous;
  let done = false;
  try {
    for await (const e of production.events) {
      if (e.kind === 'done') done = true;
      else if (e.kind === 'object') {
        add('objects');
        add('bytes', e.bytes);
        add('late', e.late);
        add('envelopes', e.envelopes);
        add('duplicates', e.duplicates);
        if (e.bad.length > 0) {
          add('badObjects');
          add('badLines', e.bad.length);
        }
        pos.lastKey = e.key;
        pos.arrival = e.arrival;
        deps.onObject?.(e);
        report();
        if (deps.signal?.aborted) production.stop();
      } else {
        for (const out of e.outs) {
          deps.onMinute?.(out);
          add('rates', out.rates.length);
          add('polls', out.polls.length);
          pos.ratesThisRun += out.rates.length;
        }
        last = e.previous;
        await pipeline.submit({
          from: e.from,
          to: e.to,
          outs: e.outs,
          ...(e.ilp ? { ilp: e.ilp } : {}),
          state: { previous: last, counters: { ...c } },
          written: 0,
        });
        production.ack();
        if (deps.signal?.aborted) production.stop();
      }
    }
  } catch (err) {
    // Let batches under way land (and their progress be saved) before giving up.
    await pipeline.finish().catch(() => {});
    throw err;
  }
  await pipeline.finish();
  if (done && opts.resumable)
    await T.saveProgress(db, run, {
      doneUntil: opts.to,
      status: 'done',
      state: { previous: last, counters: c },
      lastKey: pos.lastKey,
      at: clock.now(),
    });
  return {
    runKey: run.key,
    resumedFrom: resume ? start : null,
    counters: c,
    ratesThisRun: pos.ratesThisRun,
    staleDays: [...staleDays].sort(),
    interrupted: !done,
  };
}
