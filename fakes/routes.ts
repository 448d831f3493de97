/**
 * The fake's rate routes, the same paths as `demoEnv` in stack/services.ts under one base URL: which source a
 * path belongs to, and the normal reply for a minute. Pure.
 */
import type { SourceName } from '../common/types.ts';
import { jsonReply, type Reply } from './faults.ts';
import {
  coingeckoHasRates,
  parseCoingeckoQuery,
  renderBinance,
  renderBitstamp,
  renderBlockchain,
  renderCoinbase,
  renderCoinbaseExchange,
  renderCoindesk,
  renderCoingecko,
  renderGemini,
  renderKraken,
} from './formats.ts';

/** Path of each source's endpoint on the fake. */
export const ROUTES: Readonly<Record<SourceName, string>> = {
  blockchain: '/blockchain/ticker',
  coinbase: '/coinbase/v2/exchange-rates',
  coingecko: '/coingecko/api/v3/simple/price',
  coindesk: '/coindesk/v1/bpi/currentprice.json',
  kraken: '/kraken/0/public/Ticker',
  bitstamp: '/bitstamp/api/v2/ticker/',
  coinbase_exchange: '/coinbase_exchange/products/BTC-USD/ticker',
  gemini: '/gemini/v1/pubticker/btcusd',
  binance: '/binance/api/v3/ticker/price',
};

/** A venue's reply: the body, or the venue's own error when it does not list what was asked for. */
function venueReply(body: string | null, status: number, error: object): Reply {
  return body === null ? jsonReply(status, JSON.stringify(error), false) : jsonReply(200, body, true);
}

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
    case 'kraken': {
      const pairs = (url.searchParams.get('pair') ?? '').split(',').filter((p) => p !== '');
      const body = pairs.length === 0 ? null : renderKraken(minute, seed, pairs);
      return venueReply(body, 200, { error: ['EQuery:Unknown asset pair'] });
    }
    case 'bitstamp':
      return jsonReply(200, renderBitstamp(minute, seed), true);
    case 'coinbase_exchange':
      return venueReply(renderCoinbaseExchange(minute, seed, 'BTC-USD'), 404, { message: 'NotFound' });
    case 'gemini':
      return venueReply(renderGemini(minute, seed, 'btcusd'), 400, {
        ...{ result: 'error', reason: 'InvalidSymbol', message: 'Received unsupported symbol' },
      });
    case 'binance': {
      const one = url.searchParams.get('symbol');
      const list = one === null ? parseSymbols(url.searchParams.get('symbols')) : [one];
      const body = list === null ? null : renderBinance(minute, seed, list, one === null);
      return venueReply(body, 400, { code: -1121, msg: 'Invalid symbol.' });
    }
  }
}

/** Binance's `symbols` parameter: a JSON list of strings, or null. */
function parseSymbols(text: string | null): string[] | null {
  try {
    const v: unknown = JSON.parse(text ?? '');
    return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string') ? v : null;
  } catch {
    return null;
  }
}
