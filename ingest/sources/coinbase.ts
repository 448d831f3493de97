/**
 * Coinbase v2 exchange-rates: `{"data": {"currency": "BTC", "rates": {"USD": "60000.12", ...}}}`: decimal strings,
 * no timestamp; "BTC": "1.00000000" is the base quoting itself (a `self_quote` rejection).
 */
import { parseResponseJson, rejectResponse } from './envelope.ts';
import { makeCollector, neverThrows } from './collect.ts';
import { onlyWhitespaceFrom, scanStringMembers } from './string-members.ts';
import { BASE_CURRENCY, isRecord, own, show } from './validate.ts';
import type { ParseResult, RawResponse, SourceAdapter } from './types.ts';

/** How every Coinbase answer for BTC begins (compact JSON, base first), up to the opening brace of the rates. */
const COMPACT_HEAD = '{"data":{"currency":"BTC","rates":';

/** The rates of a compact answer of plain string rates, read without JSON.parse (string-members.ts), or null. */
function compactRates(res: RawResponse): [string, string][] | null {
  if (!res.body.startsWith(COMPACT_HEAD) || rejectResponse(res) !== null) return null;
  const scanned = scanStringMembers(res.body, COMPACT_HEAD.length);
  if (!scanned || !res.body.startsWith('}}', scanned.end)) return null;
  return onlyWhitespaceFrom(res.body, scanned.end + 2) ? scanned.members : null;
}

/** Parse a Coinbase exchange-rates response for base currency BTC. */
export function parseCoinbase(res: RawResponse): ParseResult {
  const members = typeof res.body === 'string' ? compactRates(res) : null;
  if (!members) return parseCoinbaseJson(res);
  const out = makeCollector();
  for (const [key, value] of members) out.rate(key, value, null, true);
  return out.finish();
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
