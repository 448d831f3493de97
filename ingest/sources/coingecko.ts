/**
 * CoinGecko simple/price: `{"bitcoin": {"usd": 83749, "usd_24h_change": -2.58, "last_updated_at": 1700000000}}`.
 * Keys are lower case; `_24h_change`-like companions are not prices; `last_updated_at` (Unix s) is the quote time.
 */
import { parseResponseJson } from './envelope.ts';
import { makeCollector, neverThrows } from './collect.ts';
import { isRecord, own, parseUnixSeconds, show } from './validate.ts';
import type { ParseResult, RawResponse, SourceAdapter } from './types.ts';

/** The coin id the project asks for (`ids=bitcoin`). */
export const COIN_ID = 'bitcoin';

const QUOTE_TIME_KEY = 'last_updated_at';
const COMPANION = /_(24h_change|market_cap|24h_vol)$/;

/** Parse a CoinGecko simple/price response for the `bitcoin` id. */
export function parseCoingecko(res: RawResponse): ParseResult {
  const env = parseResponseJson(res);
  if (!env.ok) return { rates: [], rejections: [env.rejection] };
  const out = makeCollector();
  if (!isRecord(env.json)) {
    out.reject(null, 'bad_shape', `expected an object keyed by coin id, got ${show(env.json)}`);
    return out.finish();
  }
  const coin = own(env.json, COIN_ID);
  if (coin === undefined && Object.keys(env.json).length === 0)
    return out.finish(`empty object: CoinGecko's answer when it does not know the id "${COIN_ID}"`);
  if (!isRecord(coin)) {
    out.reject(null, 'bad_shape', `no "${COIN_ID}" object in ${show(env.json, 100)}`);
    return out.finish();
  }
  let quoteTs: number | null = null;
  if (Object.hasOwn(coin, QUOTE_TIME_KEY)) {
    const t = parseUnixSeconds(own(coin, QUOTE_TIME_KEY));
    // A bad quote time does not make the prices wrong: keep them, without a quote time.
    if (t.ok) quoteTs = t.value;
    else out.reject(null, t.reason, t.detail);
  }
  for (const [key, value] of Object.entries(coin)) {
    if (key === QUOTE_TIME_KEY || COMPANION.test(key)) continue;
    out.rate(key, value, quoteTs, false);
  }
  return out.finish();
}

/** The CoinGecko adapter; a configured demo key goes in the `x-cg-demo-api-key` header. */
export const coingecko: SourceAdapter = {
  kind: 'coingecko',
  request: (config) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    const key = config.COINGECKO_API_KEY.trim();
    if (key !== '') headers['x-cg-demo-api-key'] = key;
    return { url: config.COINGECKO_URL, headers };
  },
  parse: neverThrows(parseCoingecko),
};
