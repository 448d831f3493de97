/**
 * Exchange venues' public tickers: each price is the last trade of a BTC pair, filed under the pair's quote
 * currency (BTC-USDT -> USDT). Prices are decimal strings on every venue. Kraken, Bitstamp and Binance answer
 * many pairs per request; Coinbase Exchange and Gemini one, named only in the request URL (kept in the envelope).
 */
import type { Config } from '../../common/config.ts';
import type { SourceName } from '../../common/types.ts';
import { makeCollector, neverThrows, type Collector } from './collect.ts';
import { parseResponseJson } from './envelope.ts';
import type { SourceAdapter } from './types.ts';
import { isRecord, own, parseIsoTime, parseUnixSeconds, show, type Checked } from './validate.ts';

/** Reads one venue's JSON into the collector; `url` is the request's. */
type Reader = (json: unknown, out: Collector, url: string) => void;

function venue(kind: SourceName, url: (c: Config) => string, read: Reader): SourceAdapter {
  return {
    kind,
    request: (config) => ({
      url: url(config),
      headers: { accept: 'application/json', 'user-agent': 'btc-rates' },
    }),
    parse: neverThrows((res) => {
      const env = parseResponseJson(res);
      if (!env.ok) return { rates: [], rejections: [env.rejection] };
      const out = makeCollector();
      read(env.json, out, res.url ?? '');
      return out.finish();
    }),
  };
}

/** The quote currency of a venue's pair name, when it is a BTC pair. */
function quoteOf(pattern: RegExp, name: unknown): string | undefined {
  return typeof name === 'string' ? pattern.exec(name)?.[1] : undefined;
}

/** One pair's price under its quote currency, or a rejection when the pair is not BTC's. */
function pair(
  out: Collector,
  name: unknown,
  quote: string | undefined,
  price: unknown,
  quoteTs: number | null,
) {
  if (quote === undefined) out.reject(null, 'bad_currency_code', `pair ${show(name)} is not a BTC pair`);
  else out.rate(quote, price, quoteTs, true);
}

/** A quote time, or null after recording why not: a bad time does not make the price wrong. */
function quoteTime(out: Collector, t: Checked<number>): number | null {
  if (t.ok) return t.value;
  out.reject(null, t.reason, t.detail);
  return null;
}

const shapeError = (out: Collector, expected: string, json: unknown) =>
  out.reject(null, 'bad_shape', `expected ${expected}, got ${show(json, 200)}`);

/** Kraken names pairs its own way: XXBTZUSD (X/Z-prefixed legacy assets) or XBTUSDT, whatever was asked for. */
const KRAKEN_PAIR = /^(?:XXBTZ|XBT)([A-Z0-9]{2,10})$/;

/** Kraken: `{"error": [], "result": {PAIR: {"c": [last, volume], ...}}}`; failures carry a non-empty `error`. */
const readKraken: Reader = (json, out) => {
  const errors = isRecord(json) ? own(json, 'error') : undefined;
  if (Array.isArray(errors) && errors.length > 0) {
    // Public throttling arrives as HTTP 200 with this error.
    const limited = errors.some((e) => typeof e === 'string' && e.includes('Too many requests'));
    return out.reject(null, limited ? 'rate_limited' : 'bad_shape', `Kraken error ${show(errors, 200)}`);
  }
  const result = isRecord(json) ? own(json, 'result') : undefined;
  if (!isRecord(result)) return shapeError(out, '{"error":[],"result":{...}}', json);
  for (const [name, ticker] of Object.entries(result)) {
    const last = isRecord(ticker) ? own(ticker, 'c') : undefined;
    pair(out, name, quoteOf(KRAKEN_PAIR, name), Array.isArray(last) ? last[0] : last, null);
  }
};

/** Bitstamp all pairs: `[{"pair": "BTC/USD", "last": "...", "timestamp": "<Unix s>", ...}]`, all strings. */
const readBitstamp: Reader = (json, out) => {
  if (!Array.isArray(json)) return shapeError(out, 'the list of all tickers', json);
  for (const t of json) {
    const name = isRecord(t) ? own(t, 'pair') : undefined;
    if (typeof name === 'string' && !name.startsWith('BTC/')) continue; // other assets' pairs
    const s = isRecord(t) ? own(t, 'timestamp') : undefined;
    const ts = quoteTime(out, parseUnixSeconds(typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : s));
    pair(out, name, quoteOf(/^BTC\/([A-Z0-9]{2,10})$/, name), isRecord(t) ? own(t, 'last') : undefined, ts);
  }
};

/** Coinbase Exchange `/products/BTC-USD/ticker`: `{"price": "...", "time": "<ISO>", ...}`; errors `{"message"}`. */
const readCoinbaseExchange: Reader = (json, out, url) => {
  if (!isRecord(json) || !Object.hasOwn(json, 'price')) return shapeError(out, 'a ticker with "price"', json);
  const name = /\/products\/([^/]+)\/ticker/.exec(url)?.[1];
  const ts = quoteTime(out, parseIsoTime(own(json, 'time')));
  pair(out, name, quoteOf(/^BTC-([A-Za-z0-9]{2,10})$/, name), own(json, 'price'), ts);
};

/** Gemini `/v1/pubticker/btcusd`: `{"last": "...", "volume": {"BTC", "USD", "timestamp": <ms>}}`. */
const readGemini: Reader = (json, out, url) => {
  if (!isRecord(json) || !Object.hasOwn(json, 'last')) return shapeError(out, 'a ticker with "last"', json);
  const volume = own(json, 'volume');
  const ms = isRecord(volume) ? own(volume, 'timestamp') : undefined;
  const name = /\/pubticker\/([^/?]+)/.exec(url)?.[1];
  const ts = quoteTime(out, parseUnixSeconds(typeof ms === 'number' ? ms / 1000 : ms));
  pair(out, name, quoteOf(/^btc([a-z0-9]{2,10})$/i, name), own(json, 'last'), ts);
};

/** Binance ticker/price: `[{"symbol": "BTCUSDT", "price": "..."}]` (`symbols=`), one object for `symbol=`. */
const readBinance: Reader = (json, out) => {
  const one = isRecord(json) && Object.hasOwn(json, 'symbol');
  if (!Array.isArray(json) && !one) return shapeError(out, 'tickers of {"symbol","price"}', json);
  for (const t of Array.isArray(json) ? json : [json]) {
    const name = isRecord(t) ? own(t, 'symbol') : undefined;
    pair(out, name, quoteOf(/^BTC([A-Z0-9]{2,10})$/, name), isRecord(t) ? own(t, 'price') : undefined, null);
  }
};

export const kraken = venue('kraken', (c) => c.KRAKEN_URL, readKraken);
export const bitstamp = venue('bitstamp', (c) => c.BITSTAMP_URL, readBitstamp);
export const coinbaseExchange = venue(
  'coinbase_exchange',
  (c) => c.COINBASE_EXCHANGE_URL,
  readCoinbaseExchange,
);
export const gemini = venue('gemini', (c) => c.GEMINI_URL, readGemini);
export const binance = venue('binance', (c) => c.BINANCE_URL, readBinance);
