/** Which of a batch's normalized rows a replay writes, given the keys already stored. Pure. */
import type { Poll, Rate } from '../../common/types.ts';
import type { Batch } from '../store.ts';
import { pollKey, rateKey, type MinuteOutput } from './minutes.ts';

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

/** Without `force`, rows whose keys are stored are left out; with it, every row goes. `only` narrows further. */
export function selectRows(
  outs: MinuteOutput[],
  stored: StoredKeys,
  opts: { force: boolean; only?: RowFilter },
): Selected {
  const batch: Selected['batch'] = { rates: [], polls: [], currencies: [], rejections: [] };
  const out: Selected = { batch, kept: 0, replaced: 0, stale: [] };
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
  // A candle row fills only a key that no poll of the batch gives and none stored holds, with or without force.
  const polled = new Set(outs.some((o) => o.candles.length) ? outs.flatMap((o) => o.rates.map(rateKey)) : []);
  for (const r of outs.flatMap((o) => o.candles)) {
    const key = rateKey(r);
    if (opts.force) produced.add(key);
    if (polled.has(key) || stored.rates.has(key)) out.kept++;
    else if (!opts.only || opts.only.rate(r)) batch.rates.push(r);
    polled.add(key);
  }
  if (opts.force)
    for (const key of stored.rates) {
      const [ts, source] = key.split('|') as [string, string];
      if (spoke.has(`${ts}|${source}`) && !produced.has(key)) out.stale.push(key);
    }
  return out;
}
