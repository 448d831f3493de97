/**
 * Coinbase v2 exchange-rates: `{"data": {"currency": "BTC", "rates": {"USD": "60000.12", ...}}}`: decimal strings,
 * no timestamp; "BTC": "1.00000000" is the base quoting itself (a `self_quote` rejection).
 */
import { parseResponseJson, rejectResponse } from './envelope.ts';
import { makeCollector, neverThrows, selfQuote } from './collect.ts';
import { BASE_CURRENCY, isRecord, own, show } from './validate.ts';
import type { ParseResult, RawResponse, SourceAdapter } from './types.ts';

/** How every Coinbase answer for BTC begins (compact JSON, base first), up to its first rate. */
const COMPACT_HEAD = '{"data":{"currency":"BTC","rates":{';
/** A rate as Coinbase sends it: a code not only of digits (JSON.parse would move those first), a plain decimal. */
const MEMBER = /"((?=\d*[A-Z])[A-Z0-9]{2,10})":"(\d+(?:\.\d+)?)"([,}])/y;
/** What may follow the rates: the two closing braces and JSON whitespace. */
const TAIL = /\}\}[ \t\n\r]*$/y;

/**
 * A compact answer of plain rates in ascending code order (so none twice), as Coinbase sends it, read without
 * JSON.parse; null for anything else, which only the full parse may judge.
 */
export function compactRates(res: RawResponse): ParseResult | null {
  const body = res.body;
  if (!body.startsWith(COMPACT_HEAD) || rejectResponse(res) !== null) return null;
  const out: ParseResult = { rates: [], rejections: [] };
  let last = '';
  MEMBER.lastIndex = COMPACT_HEAD.length;
  for (let m = MEMBER.exec(body); m; m = MEMBER.exec(body)) {
    const [, currency = '', text = '', next] = m;
    const rate = Number(text);
    if (currency <= last || !(rate > 0 && rate < Infinity)) return null;
    last = currency;
    if (currency === BASE_CURRENCY) out.rejections.push(selfQuote(currency, text));
    else out.rates.push({ currency, rate, quoteTs: null });
    if (next === '}') {
      TAIL.lastIndex = MEMBER.lastIndex;
      return out.rates.length > 0 && TAIL.test(body) ? out : null;
    }
  }
  return null;
}

/** Parse a Coinbase exchange-rates response for base currency BTC. */
export function parseCoinbase(res: RawResponse): ParseResult {
  return (typeof res.body === 'string' ? compactRates(res) : null) ?? parseCoinbaseJson(res);
}

/** The same through JSON.parse: every shape, valid or not. */
export function parseCoinbaseJson(res: RawResponse): ParseResult {
  const env = parseResponseJson(res);
  if (!env.ok) return { rates: [], rejections: [env.rejection] };
  const out = makeCollector();
  const data = isRecord(env.json) ? own(env.json, 'data') : undefined;
  const rates = isRecord(data) ? own(data, 'rates') : undefined;
  if (!isRecord(data) || !isRecord(rates)) {
    const errors = isRecord(env.json) ? own(env.json, 'errors') : undefined;
    const why = errors === undefined ? `got ${show(env.json)}` : `errors ${show(errors, 100)}`;
    out.reject(null, 'bad_shape', `expected {"data":{"rates":{...}}}, ${why}`);
    return out.finish();
  }
  // Rates relative to another base (a misconfigured ?currency=) would look valid but be wrong prices.
  const base = own(data, 'currency');
  if (base !== undefined && (typeof base !== 'string' || base.toUpperCase() !== BASE_CURRENCY)) {
    out.reject(null, 'bad_shape', `rates are for base currency ${show(base)}, expected ${BASE_CURRENCY}`);
    return out.finish();
  }
  for (const [key, value] of Object.entries(rates)) out.rate(key, value, null, true);
  return out.finish();
}

/** The Coinbase adapter. */
export const coinbase: SourceAdapter = {
  kind: 'coinbase',
  request: (config) => ({ url: config.COINBASE_URL, headers: { accept: 'application/json' } }),
  parse: neverThrows(parseCoinbase),
};
