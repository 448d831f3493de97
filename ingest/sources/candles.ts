/** The venues' one-minute candles: a page's URL (from the ticker URL's host) and its rows, each close at its open minute. */
import type { Config } from '../../common/config.ts';
import type { Rate, SourceName } from '../../common/types.ts';
import { bodyText, type RawEnvelope } from '../archive/envelope.ts';
import { parseResponseJson, transportRejection } from './envelope.ts';
import type { Rejection, RejectionReason } from './types.ts';
import { isRecord, own, parseRateValue, parseUnixSeconds, show } from './validate.ts';

const MINUTE = 60_000;
const sec = (ms: number) => Math.floor(ms / 1000);
const at = (row: unknown, i: number) => (Array.isArray(row) ? row[i] : undefined);
/** Each row's open time (Unix s, from `unit` s) and close (index 4), or what was wrong with the page. */
const list = (rows: unknown, what: string, unit = 1): [unknown, unknown][] | string =>
  Array.isArray(rows)
    ? rows.map((r) => [typeof at(r, 0) === 'number' ? (at(r, 0) as number) * unit : at(r, 0), at(r, 4)])
    : `expected ${what}, got ${show(rows, 200)}`;

/** BTC pairs polled by default → quote; rows a request may return, pause between requests, closed minutes served. */
export type CandleVenue = {
  pairs: Record<string, string>;
  page: number;
  paceMs: number;
  reach: number | null;
  /** The page of minutes [from, to) of `pair`. */
  url(c: Config, pair: string, from: number, to: number): string;
  rows(json: unknown): [time: unknown, close: unknown][] | string;
  strings: boolean;
};

const base = (u: string, cut: RegExp) => u.replace(/\?.*$/, '').replace(cut, '');

export const CANDLE_VENUES: Partial<Record<SourceName, CandleVenue>> = {
  kraken: {
    pairs: { XBTUSD: 'USD', XBTUSDC: 'USDC', XBTUSDT: 'USDT' },
    ...{ page: 720, paceMs: 1_000, reach: 719, strings: true },
    url: (c, pair, from) =>
      `${base(c.KRAKEN_URL, /\/Ticker$/)}/OHLC?pair=${pair}&interval=1&since=${sec(from - MINUTE)}`,
    rows: (json) => {
      const errors = isRecord(json) ? own(json, 'error') : undefined;
      if (Array.isArray(errors) && errors.length > 0) return `Kraken error ${show(errors, 200)}`;
      const result = isRecord(json) ? own(json, 'result') : undefined;
      const series = isRecord(result) ? Object.entries(result).find(([k]) => k !== 'last')?.[1] : json;
      return list(series, 'an OHLC series');
    },
  },
  bitstamp: {
    pairs: { btcusd: 'USD', btceur: 'EUR', btcgbp: 'GBP', btcusdc: 'USDC', btcusdt: 'USDT' },
    ...{ page: 1000, paceMs: 200, reach: null, strings: true },
    url: (c, pair, from, to) =>
      `${base(c.BITSTAMP_URL, /\/ticker\/?$/)}/ohlc/${pair}/?step=60&limit=${(to - from) / MINUTE}&start=${sec(from)}`,
    rows: (json) => {
      const data = isRecord(json) ? own(json, 'data') : undefined;
      const ohlc = isRecord(data) ? own(data, 'ohlc') : undefined;
      if (!Array.isArray(ohlc)) return `expected {"data":{"ohlc":[...]}}, got ${show(json, 200)}`;
      return ohlc.map((r) => (isRecord(r) ? [Number(own(r, 'timestamp')), own(r, 'close')] : [r, r]));
    },
  },
  coinbase_exchange: {
    pairs: { 'BTC-USD': 'USD' },
    ...{ page: 300, paceMs: 200, reach: null, strings: false },
    url: (c, pair, from, to) =>
      `${base(c.COINBASE_EXCHANGE_URL, /\/products\/.*$/)}/products/${pair}/candles?granularity=60&start=${new Date(from).toISOString()}&end=${new Date(to - MINUTE).toISOString()}`,
    rows: (json) => list(json, 'a list of candles'),
  },
  binance: {
    pairs: { BTCUSDT: 'USDT', BTCUSDC: 'USDC' },
    ...{ page: 1000, paceMs: 200, reach: null, strings: true },
    url: (c, pair, from, to) =>
      `${base(c.BINANCE_URL, /\/ticker\/price$/)}/klines?symbol=${pair}&interval=1m&limit=${(to - from) / MINUTE}&startTime=${from}&endTime=${to - 1}`,
    rows: (json) => list(json, 'a list of klines', 1e-3),
  },
};

/** A candle page's rows: closes of the asked minutes closed when it was fetched, at their open minute; never throws. */
export function candleRates(env: RawEnvelope): { rates: Rate[]; rejections: Rejection[] } {
  const venue = CANDLE_VENUES[env.source];
  const pair = Object.keys(venue?.pairs ?? {}).find((p) => new RegExp(`[=/]${p}(?:[/&]|$)`).test(env.url));
  const quote = (pair && venue?.pairs[pair]) || null;
  const out = { rates: [] as Rate[], rejections: [] as Rejection[] };
  const reject = (currency: string | null, reason: RejectionReason, detail: string) => {
    out.rejections.push({ currency, reason, detail });
    return out;
  };
  const inPage = (t: number) => !env.candles || (t >= env.candles.from && t < env.candles.to);
  if (!venue || !quote)
    return reject(null, 'bad_shape', `${env.url} is no candle page this program asks for`);
  const failed = transportRejection(env);
  if (failed) return reject(null, failed.reason, failed.detail);
  const res = parseResponseJson({ status: env.status, headers: env.headers, body: bodyText(env) });
  if (!res.ok) return reject(null, res.rejection.reason, res.rejection.detail);
  const rows = venue.rows(res.json);
  if (typeof rows === 'string') return reject(null, 'bad_shape', rows);
  for (const [time, close] of rows) {
    const t = parseUnixSeconds(time);
    const c = parseRateValue(close, venue.strings);
    if (!t.ok || t.value % MINUTE !== 0)
      reject(quote, 'bad_quote_time', `candle time ${show(time)} is no minute`);
    else if (!c.ok) reject(quote, c.reason, `close: ${c.detail}`);
    else if (t.value + MINUTE <= Date.parse(env.fetchedAt) && inPage(t.value))
      out.rates.push({ ts: t.value, source: env.source, currency: quote, rate: c.value, quoteTs: null });
  }
  return out;
}
