/**
 * blockchain.info/ticker: `{"USD": {"15m": n, "last": n, "buy": n, "sell": n, "symbol": "$"}, ...}`, keyed by the
 * currency code (`symbol` varies, so it is ignored); no server timestamp, so no quote time.
 */
import { parseResponseJson } from './envelope.ts';
import { makeCollector, neverThrows } from './collect.ts';
import { isRecord, labelOf, own, show } from './validate.ts';
import type { ParseResult, RawResponse, SourceAdapter } from './types.ts';

/** Parse a blockchain.info ticker response; `last` is the rate. */
export function parseBlockchain(res: RawResponse): ParseResult {
  const env = parseResponseJson(res);
  if (!env.ok) return { rates: [], rejections: [env.rejection] };
  const out = makeCollector();
  if (!isRecord(env.json)) {
    out.reject(null, 'bad_shape', `expected an object keyed by currency, got ${show(env.json)}`);
    return out.finish();
  }
  for (const [key, entry] of Object.entries(env.json)) {
    if (!isRecord(entry)) out.reject(labelOf(key), 'bad_shape', `entry ${show(entry)} is not an object`);
    else if (!Object.hasOwn(entry, 'last')) out.reject(labelOf(key), 'bad_shape', 'entry has no "last"');
    else out.rate(key, own(entry, 'last'), null, false);
  }
  return out.finish();
}

/** The blockchain.info adapter. */
export const blockchain: SourceAdapter = {
  kind: 'blockchain',
  request: (config) => ({ url: config.BLOCKCHAIN_URL, headers: { accept: 'application/json' } }),
  parse: neverThrows(parseBlockchain),
};
