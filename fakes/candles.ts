/**
 * The venues' one-minute candle routes on the fake, from the same walk as their tickers: the candle opening at
 * minute M closes at the price the venue's ticker shows at M + 1 (the still-open candle at the current price).
 * Each venue's page limit is enforced with its real error shape, so a client's pagination is exercised. Pure.
 */
import type { SourceName } from '../common/types.ts';
import { jsonReply, type Reply } from './faults.ts';
import { VENUE_QUOTES, venuePrice } from './formats.ts';
import { unitHash } from './walk.ts';

const MINUTE = 60_000;

/** Path of each venue's candle endpoint on the fake (the ticker path's sibling, as on the venue). */
export const CANDLE_ROUTES: Readonly<Partial<Record<SourceName, RegExp>>> = {
  kraken: /^\/kraken\/0\/public\/OHLC$/,
  bitstamp: /^\/bitstamp\/api\/v2\/ohlc\/([a-z0-9]+)\/$/,
  coinbase_exchange: /^\/coinbase_exchange\/products\/([A-Za-z0-9-]+)\/candles$/,
  binance: /^\/binance\/api\/v3\/klines$/,
};

export function candleSourceOfPath(pathname: string): SourceName | null {
  for (const [source, re] of Object.entries(CANDLE_ROUTES) as [SourceName, RegExp][])
    if (re.test(pathname)) return source;
  return null;
}

/** The close of the candle opening at `minute` (the current price for the still-open one). */
export function candleClose(seed: number, venue: string, quote: string, minute: number, now: number): number {
  return venuePrice(seed, venue, quote, Math.min(minute + MINUTE, Math.floor(now / MINUTE) * MINUTE));
}

/** Coinbase leaves out minutes without trades: about one in twenty on the fake. */
export const coinbaseGap = (seed: number, minute: number) => unitHash(seed, 'coinbase-gap', minute) < 0.05;

/** Open minutes [from, to) that exist by `now` (the open one included), at most `limit`. */
function minutes(from: number, to: number, now: number, limit: number): number[] {
  const out: number[] = [];
  const last = Math.floor(now / MINUTE) * MINUTE;
  for (let m = Math.ceil(from / MINUTE) * MINUTE; m < to && m <= last && out.length < limit; m += MINUTE)
    out.push(m);
  return out;
}

const num = (v: string | null) => (v === null || !/^\d+$/.test(v) ? NaN : Number(v));

export function candleReply(source: SourceName, url: URL, now: number, seed: number): Reply {
  const q = url.searchParams;
  const path = CANDLE_ROUTES[source]?.exec(url.pathname);
  const p = (close: number) => close.toFixed(2);
  switch (source) {
    case 'kraken': {
      const quote = /^XBT(\w+)$/.exec(q.get('pair') ?? '')?.[1] ?? '';
      if (!VENUE_QUOTES.includes(quote) || q.get('interval') !== '1')
        return jsonReply(200, JSON.stringify({ error: ['EQuery:Unknown asset pair'] }), false);
      const last = Math.floor(now / MINUTE) * MINUTE;
      const since = Number.isFinite(num(q.get('since'))) ? num(q.get('since')) * 1000 + MINUTE : 0;
      const rows = minutes(Math.max(since, last - 719 * MINUTE), Infinity, now, 720).map((m) => {
        const c = p(candleClose(seed, 'kraken', quote, m, now));
        return [m / 1000, c, c, c, c, c, '1.00000000', 3];
      });
      const name = quote === 'USD' ? 'XXBTZUSD' : `XBT${quote}`;
      return jsonReply(200, JSON.stringify({ error: [], result: { [name]: rows, last: last / 1000 } }), true);
    }
    case 'bitstamp': {
      const quote = /^btc([a-z]+)$/.exec(path?.[1] ?? '')?.[1]?.toUpperCase() ?? '';
      const limit = num(q.get('limit') ?? '100');
      if (!(limit >= 1 && limit <= 1000)) {
        const error = { field: 'limit', message: 'Must be between 1 and 1000.', code: 'validation-error' };
        return jsonReply(400, JSON.stringify({ code: 'validation-error', errors: [error] }), false);
      }
      if (!VENUE_QUOTES.includes(quote) || q.get('step') !== '60') return jsonReply(404, '{}', false);
      const start = num(q.get('start')) * 1000;
      const ohlc = minutes(start, Infinity, now, limit).map((m) => {
        const c = p(candleClose(seed, 'bitstamp', quote, m, now));
        return { high: c, timestamp: String(m / 1000), volume: '0.5', low: c, close: c, open: c };
      });
      return jsonReply(200, JSON.stringify({ data: { pair: `BTC/${quote}`, ohlc } }), true);
    }
    case 'coinbase_exchange': {
      const quote = /^BTC-([A-Z]+)$/.exec(path?.[1] ?? '')?.[1] ?? '';
      if (!VENUE_QUOTES.includes(quote))
        return jsonReply(404, JSON.stringify({ message: 'NotFound' }), false);
      const [start, end] = [Date.parse(q.get('start') ?? ''), Date.parse(q.get('end') ?? '')];
      if ((end - start) / MINUTE + 1 > 300 || q.get('granularity') !== '60')
        return jsonReply(
          400,
          JSON.stringify({
            message:
              'granularity too small for the requested time range. Count of aggregations requested exceeds 300',
          }),
          false,
        );
      const rows = minutes(start, end + 1, now, 300)
        .filter((m) => !coinbaseGap(seed, m))
        .reverse()
        .map((m) => {
          const c = candleClose(seed, 'coinbase_exchange', quote, m, now);
          return [m / 1000, c, c, c, c, 1.5];
        });
      return jsonReply(200, JSON.stringify(rows), true);
    }
    case 'binance': {
      const quote = /^BTC([A-Z]+)$/.exec(q.get('symbol') ?? '')?.[1] ?? '';
      const limit = num(q.get('limit') ?? '500');
      if (!(limit >= 1 && limit <= 1000))
        return jsonReply(
          400,
          JSON.stringify({ code: -1130, msg: "Illegal characters found in parameter 'limit'" }),
          false,
        );
      if (!VENUE_QUOTES.includes(quote))
        return jsonReply(400, JSON.stringify({ code: -1121, msg: 'Invalid symbol.' }), false);
      const rows = minutes(num(q.get('startTime')), num(q.get('endTime')) + 1, now, limit).map((m) => {
        const c = candleClose(seed, 'binance', quote, m, now).toFixed(8);
        return [m, c, c, c, c, '2.0', m + MINUTE - 1, '1.0', 10, '1.0', '1.0', '0'];
      });
      return jsonReply(200, JSON.stringify(rows), true);
    }
    default:
      return jsonReply(404, JSON.stringify({ error: `no candles for ${source}` }), false);
  }
}
