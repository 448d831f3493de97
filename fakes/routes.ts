/**
 * The fake's rate routes, the same paths as `demoEnv` in stack/services.ts under one base URL: which source a
 * path belongs to, and the normal reply for a minute. Pure.
 */
import type { SourceName } from '../common/types.ts';
import { jsonReply, type Reply } from './faults.ts';
import {
  coingeckoHasRates,
  parseCoingeckoQuery,
  renderBlockchain,
  renderCoinbase,
  renderCoindesk,
  renderCoingecko,
} from './formats.ts';

/** Path of each source's endpoint on the fake. */
export const ROUTES: Readonly<Record<SourceName, string>> = {
  blockchain: '/blockchain/ticker',
  coinbase: '/coinbase/v2/exchange-rates',
  coingecko: '/coingecko/api/v3/simple/price',
  coindesk: '/coindesk/v1/bpi/currentprice.json',
};

/** The source whose endpoint `pathname` is, if any. */
export function sourceOfPath(pathname: string): SourceName | null {
  for (const [source, path] of Object.entries(ROUTES) as [SourceName, string][])
    if (path === pathname) return source;
  return null;
}

/** The reply a healthy API gives for `url` during `minute`. */
export function normalReply(source: SourceName, url: URL, minute: number, seed: number): Reply {
  switch (source) {
    case 'blockchain':
      // Alternate minutes mimic older (glyph) and newer (ISO code) `symbol` values.
      return jsonReply(
        200,
        renderBlockchain(minute, seed, { symbols: (minute / 60_000) % 2 === 0 ? 'glyph' : 'code' }),
        true,
      );
    case 'coinbase': {
      const base = (url.searchParams.get('currency') ?? 'USD').toUpperCase();
      if (base !== 'BTC')
        return jsonReply(
          400,
          JSON.stringify({
            errors: [{ id: 'invalid_request', message: `the fake only serves currency=BTC, not ${base}` }],
          }),
          false,
        );
      return jsonReply(200, renderCoinbase(minute, seed), true);
    }
    case 'coingecko': {
      const query = parseCoingeckoQuery(url.searchParams);
      if ('error' in query) return jsonReply(400, JSON.stringify({ error: query.error }), false);
      return jsonReply(200, renderCoingecko(minute, seed, query), coingeckoHasRates(query));
    }
    case 'coindesk':
      return jsonReply(200, renderCoindesk(minute, seed), true);
  }
}
