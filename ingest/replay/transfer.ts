/**
 * A cut's rates as columns of typed arrays, so a worker hands a batch of tens of thousands of rows to the writing
 * thread by transferring a few buffers instead of cloning as many objects. Polls, first-seen currencies and
 * rejections stay objects: a few per minute. Pure.
 */
import type { Rate } from '../../common/types.ts';
import type { MinuteOutput } from './normalizer.ts';

export type PackedOuts = {
  minutes: Omit<MinuteOutput, 'rates'>[];
  /** Rates per minute, in order. */
  counts: Uint32Array;
  ts: Float64Array;
  rate: Float64Array;
  /** NaN for no quote time. */
  quoteTs: Float64Array;
  /** Indexes into `names` (sources and currencies share one dictionary). */
  source: Uint16Array;
  currency: Uint16Array;
  names: string[];
};

export function packOuts(outs: MinuteOutput[]): PackedOuts {
  const n = outs.reduce((a, o) => a + o.rates.length, 0);
  const p: PackedOuts = {
    minutes: outs.map(({ rates: _rates, ...rest }) => rest),
    counts: Uint32Array.from(outs, (o) => o.rates.length),
    ts: new Float64Array(n),
    rate: new Float64Array(n),
    quoteTs: new Float64Array(n),
    source: new Uint16Array(n),
    currency: new Uint16Array(n),
    names: [],
  };
  const index = new Map<string, number>();
  const id = (s: string) => {
    let i = index.get(s);
    if (i === undefined) index.set(s, (i = p.names.push(s) - 1));
    return i;
  };
  let k = 0;
  for (const o of outs)
    for (const r of o.rates) {
      p.ts[k] = r.ts;
      p.rate[k] = r.rate;
      p.quoteTs[k] = r.quoteTs ?? NaN;
      p.source[k] = id(r.source);
      p.currency[k] = id(r.currency);
      k++;
    }
  return p;
}

export function unpackOuts(p: PackedOuts): MinuteOutput[] {
  let k = 0;
  return p.minutes.map((m, i) => {
    const rates: Rate[] = new Array<Rate>(p.counts[i]!);
    for (let j = 0; j < rates.length; j++, k++) {
      const q = p.quoteTs[k]!;
      rates[j] = {
        ts: p.ts[k]!,
        source: p.names[p.source[k]!]!,
        currency: p.names[p.currency[k]!]!,
        rate: p.rate[k]!,
        quoteTs: Number.isNaN(q) ? null : q,
      };
    }
    return { ...m, rates };
  });
}

/** The buffers to transfer (not copy) when posting `p`. */
export function transferables(p: PackedOuts): ArrayBuffer[] {
  return [p.counts, p.ts, p.rate, p.quoteTs, p.source, p.currency].map((a) => a.buffer as ArrayBuffer);
}
