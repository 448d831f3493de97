/** A parse result's collector (a partly bad payload keeps its good currencies) and the guard making parse total. */
import type { ParseResult, ParsedRate, Rejection, RejectionReason, SourceAdapter } from './types.ts';
import { BASE_CURRENCY, labelOf, parseCurrencyCode, parseRateValue, show } from './validate.ts';

export type Collector = {
  /** Validate one payload entry and keep it as a rate or record why not. */
  rate(key: string, value: unknown, quoteTs: number | null, allowStrings: boolean): void;
  /** Record a rejection found by the adapter itself (bad shape, bad quote time). */
  reject(currency: string | null, reason: RejectionReason, detail: string): void;
  /** The result; a payload with no accepted rate always carries a `no_rates` rejection saying why. */
  finish(emptyDetail?: string): ParseResult;
};

/** Collects one payload's rates and rejections: one bad currency never drops the others. */
export function makeCollector(): Collector {
  const rates: ParsedRate[] = [];
  const rejections: Rejection[] = [];
  // Whether a currency came twice, noticed as rates arrive, so a clean payload skips the recount.
  const seen = new Set<string>();
  let repeated = false;
  let entries = 0;
  return {
    rate(key, value, quoteTs, allowStrings) {
      entries++;
      const code = parseCurrencyCode(key);
      if (!code.ok) return void rejections.push({ currency: labelOf(key), ...pick(code) });
      const currency = code.value;
      if (currency === BASE_CURRENCY) return void rejections.push(selfQuote(currency, value));
      const rate = parseRateValue(value, allowStrings);
      if (!rate.ok) return void rejections.push({ currency, ...pick(rate) });
      if (seen.has(currency)) repeated = true;
      else seen.add(currency);
      rates.push({ currency, rate: rate.value, quoteTs });
    },
    reject(currency, reason, detail) {
      if (currency !== null) entries++;
      rejections.push({ currency, reason, detail });
    },
    finish(emptyDetail = 'the payload lists no currencies') {
      const kept = repeated ? dropDuplicates(rates, rejections) : rates;
      if (kept.length === 0) {
        const why = [...new Set(rejections.map((r) => r.reason))].join(', ');
        const detail =
          entries === 0 ? emptyDetail : `none of ${entries} currencies accepted (${why || 'no reason'})`;
        rejections.push({ currency: null, reason: 'no_rates', detail });
      }
      return { rates: kept, rejections };
    },
  };
}

/** The base currency priced in itself: a rejection, not a rate. */
export function selfQuote(currency: string, value: unknown): Rejection {
  return {
    currency,
    reason: 'self_quote',
    detail: `${currency} priced in itself (${show(value)}) is not a rate`,
  };
}

function pick(c: { reason: RejectionReason; detail: string }): { reason: RejectionReason; detail: string } {
  return { reason: c.reason, detail: c.detail };
}

/** Keys differing only in case ("usd" and "USD") are ambiguous: which price is right is unknowable, keep neither. */
function dropDuplicates(rates: ParsedRate[], rejections: Rejection[]): ParsedRate[] {
  const count = new Map<string, number>();
  for (const r of rates) count.set(r.currency, (count.get(r.currency) ?? 0) + 1);
  const dup = [...count].filter(([, n]) => n > 1);
  for (const [currency, n] of dup)
    rejections.push({
      currency,
      reason: 'bad_currency_code',
      detail: `${currency} appears ${n} times (keys differing in case); none kept`,
    });
  return dup.length === 0 ? rates : rates.filter((r) => (count.get(r.currency) ?? 0) === 1);
}

/** Wrap an adapter's parse so that no input makes it throw: a bug becomes a rejection, not a crashed poll loop. */
export function neverThrows(parse: SourceAdapter['parse']): SourceAdapter['parse'] {
  return (res) => {
    try {
      return parse(res);
    } catch (err) {
      const why = err instanceof Error ? err.message : show(err);
      return {
        rates: [],
        rejections: [{ currency: null, reason: 'bad_shape', detail: `${INTERNAL}${why}` }],
      };
    }
  };
}

/** Prefix of the detail of a rejection caused by an adapter bug, for tests to look for. */
export const INTERNAL = 'internal adapter error: ';
