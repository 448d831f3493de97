/**
 * CoinDesk BPI v1 currentprice: `{"time": {"updatedISO": "..."}, "bpi": {"USD": {"rate": "99,009.26",
 * "rate_float": 99009.2596, "symbol": "&#36;", ...}}}`. `rate` has thousands separators and `symbol` is an HTML
 * entity, so only `rate_float` is read; `time.updatedISO` is the quote time.
 */
import { parseResponseJson } from './envelope.ts';
import { makeCollector, neverThrows } from './collect.ts';
import { isRecord, labelOf, own, parseIsoTime, show } from './validate.ts';
import type { ParseResult, RawResponse, SourceAdapter } from './types.ts';

/** Parse a CoinDesk BPI v1 response. */
export function parseCoindesk(res: RawResponse): ParseResult {
  const env = parseResponseJson(res);
  if (!env.ok) return { rates: [], rejections: [env.rejection] };
  const out = makeCollector();
  const bpi = isRecord(env.json) ? own(env.json, 'bpi') : undefined;
  if (!isRecord(env.json) || !isRecord(bpi)) {
    out.reject(null, 'bad_shape', `expected {"bpi":{...}}, got ${show(env.json)}`);
    return out.finish();
  }
  const time = own(env.json, 'time');
  const t = parseIsoTime(isRecord(time) ? own(time, 'updatedISO') : undefined);
  // CoinDesk always sends the time; without it the prices still stand, only their quote time is unknown.
  if (!t.ok) out.reject(null, t.reason, `time.updatedISO: ${t.detail}`);
  const quoteTs = t.ok ? t.value : null;
  for (const [key, entry] of Object.entries(bpi)) {
    if (!isRecord(entry)) out.reject(labelOf(key), 'bad_shape', `entry ${show(entry)} is not an object`);
    else if (!Object.hasOwn(entry, 'rate_float'))
      out.reject(labelOf(key), 'bad_shape', 'entry has no "rate_float"');
    else out.rate(key, own(entry, 'rate_float'), quoteTs, false);
  }
  return out.finish();
}

/** The CoinDesk BPI adapter. */
export const coindesk: SourceAdapter = {
  kind: 'coindesk',
  request: (config) => ({ url: config.COINDESK_URL, headers: { accept: 'application/json' } }),
  parse: neverThrows(parseCoindesk),
};
