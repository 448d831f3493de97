/**
 * The write side of a replay: which normalized rows to send (pure), and a pipeline that overlaps the work of
 * one batch with the next — the stored keys of a batch are read while the previous batch is being written, and
 * its progress is saved while the next one is — yet writes batches one at a time, in order, and saves a batch's
 * progress only after QuestDB acknowledged it.
 */
import type { Poll, Rate } from '../../common/types.ts';
import type { Batch } from '../store.ts';
import { pollKey, rateKey, type MinuteOutput } from './normalizer.ts';

export type StoredKeys = { rates: Set<string>; polls: Set<string> };
export type RowFilter = { rate(r: Rate): boolean; poll(p: Poll): boolean };
export type Selected = {
  batch: Required<Pick<Batch, 'rates' | 'polls' | 'currencies' | 'rejections'>>;
  /** Rates rows stored already: left alone (without force) or replaced (with force). */
  kept: number;
  replaced: number;
  /** With force: keys of stored rates rows of a (minute, source) the archive answered for, that it no longer gives. */
  stale: string[];
};

/**
 * Without `force`, rows whose keys are stored are left out; with it, every row goes. `only` narrows further (the
 * gap repair writes just the keys it found missing). Pure.
 */
export function selectRows(
  outs: MinuteOutput[],
  stored: StoredKeys,
  opts: { force: boolean; only?: RowFilter },
): Selected {
  const out: Selected = {
    batch: { rates: [], polls: [], currencies: [], rejections: [] },
    kept: 0,
    replaced: 0,
    stale: [],
  };
  const { batch } = out;
  // Keys are only built when something is stored: a replay into empty days (the common case) skips it all.
  const anyRates = stored.rates.size > 0;
  const spoke = new Set<string>();
  const produced = new Set<string>();
  for (const o of outs) {
    const written = new Set<string>();
    for (const p of o.polls) {
      if (opts.force) spoke.add(`${p.ts}|${p.source}`);
      if (opts.only && !opts.only.poll(p)) continue;
      if (opts.force || !stored.polls.has(pollKey(p))) {
        batch.polls.push(p);
        written.add(pollKey(p));
      }
    }
    // A poll's rejections go with its row: written when it is, left alone when it is.
    for (const j of o.rejections) if (written.has(pollKey(j))) batch.rejections.push(j);
    for (const r of o.rates) {
      const key = anyRates ? rateKey(r) : '';
      if (anyRates && opts.force) produced.add(key);
      if (opts.only && !opts.only.rate(r)) continue;
      if (!anyRates || !stored.rates.has(key)) batch.rates.push(r);
      else if (opts.force) {
        batch.rates.push(r);
        out.replaced++;
      } else out.kept++;
    }
    for (const c of o.currencies) batch.currencies.push(c);
  }
  if (opts.force)
    for (const key of stored.rates) {
      const [ts, source] = key.split('|') as [string, string];
      if (spoke.has(`${ts}|${source}`) && !produced.has(key)) out.stale.push(key);
    }
  return out;
}

export type Pipeline<C> = {
  /** Queue a batch; resolves once the batch before it is written (so at most one waits behind the one in flight). */
  submit(cut: C): Promise<void>;
  /** Wait for everything queued to be written and saved; throws the first failure. */
  finish(): Promise<void>;
};

/** `prepare` runs at submit, `write` in order after the previous write, `save` in order after its own write. */
export function makePipeline<C, P>(steps: {
  prepare(cut: C): Promise<P>;
  write(cut: C, prepared: P): Promise<void>;
  save(cut: C): Promise<void>;
}): Pipeline<C> {
  let writing: Promise<void> = Promise.resolve();
  let saving: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  const fail = (err: unknown) => {
    failure ??= err;
  };
  return {
    async submit(cut) {
      if (failure) throw failure;
      const prepared = steps.prepare(cut);
      prepared.catch(fail);
      await writing;
      if (failure) throw failure;
      writing = prepared.then((p) => steps.write(cut, p));
      writing.catch(fail);
      const written = writing;
      saving = Promise.all([saving, written]).then(() => steps.save(cut));
      saving.catch(fail);
    },
    async finish() {
      await Promise.allSettled([writing, saving]);
      if (failure) throw failure;
    },
  };
}
