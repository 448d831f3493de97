/** The exchange venues' ticker adapters on the real samples: successes, each venue's error shapes, 429 and 451. */
import { describe, expect, it } from 'vitest';
import { binance, bitstamp, coinbaseExchange, gemini, kraken } from '../../../ingest/sources/venues.ts';
import type { RawResponse } from '../../../ingest/sources/types.ts';
import { expectWellFormed, fixture, ok, reasons } from './helpers.ts';

const at = (url: string, res: RawResponse): RawResponse => ({ ...res, url });
const status = (code: number, body: string, headers: Record<string, string> = {}): RawResponse => ({
  status: code,
  headers: { 'content-type': 'application/json', ...headers },
  body,
});

describe('Kraken ticker adapter', () => {
  it("reads the last trade c[0] under the quote of Kraken's own pair name (XXBTZUSD -> USD)", () => {
    const result = kraken.parse(ok(fixture('kraken_ticker_XBTUSD.json')));
    expect(result).toEqual({ rates: [{ currency: 'USD', rate: 27712.1, quoteTs: null }], rejections: [] });
  });

  it('reads the stablecoin pairs, whose names have no X/Z prefixes', () => {
    const c = (last: string) => ({ c: [last, '0.1'] });
    const body = {
      error: [],
      result: { XBTUSDC: c('27700.5'), XBTUSDT: c('27701.25'), XETHZUSD: c('1800') },
    };
    const result = kraken.parse(ok(JSON.stringify(body)));
    expect(result.rates.map((r) => [r.currency, r.rate])).toEqual([
      ['USDC', 27700.5],
      ['USDT', 27701.25],
    ]);
    expect(result.rejections).toEqual([
      { currency: null, reason: 'bad_currency_code', detail: 'pair "XETHZUSD" is not a BTC pair' },
    ]);
  });

  it('reads `error` first: an unknown pair is `bad_shape`, throttling `rate_limited`, with or without `result`', () => {
    const unknown = kraken.parse(ok(fixture('kraken_unknown_asset_pair_error.json')));
    expect(reasons(unknown)).toEqual(['bad_shape', 'no_rates']);
    expect(unknown.rejections[0]?.detail).toContain('EQuery:Unknown asset pair');
    const throttled = kraken.parse(ok('{"error":["EGeneral:Too many requests"],"result":{}}'));
    expect(reasons(throttled)).toEqual(['rate_limited', 'no_rates']);
  });
});

describe('Bitstamp ticker adapter', () => {
  const sample = JSON.parse(fixture('bitstamp_ticker_btcusd.json')) as Record<string, string>;

  it('reads every BTC pair of the all-pairs list (all strings, Unix-seconds timestamp) and skips other assets', () => {
    const list = [
      { ...sample, pair: 'BTC/USD', side: '0', market_type: 'SPOT' },
      { ...sample, pair: 'ETH/USD', last: '1500' },
      { ...sample, pair: 'BTC/USDT', last: '20801.5' },
    ];
    const result = bitstamp.parse(ok(JSON.stringify(list)));
    expect(result).toEqual({
      rates: [
        { currency: 'USD', rate: 20800, quoteTs: 1666808829000 },
        { currency: 'USDT', rate: 20801.5, quoteTs: 1666808829000 },
      ],
      rejections: [],
    });
  });

  it('keeps a price whose timestamp is bad, without a quote time, and says so', () => {
    const result = bitstamp.parse(
      ok(JSON.stringify([{ ...sample, pair: 'BTC/USD', timestamp: '16668088290000' }])),
    );
    expect(result.rates).toEqual([{ currency: 'USD', rate: 20800, quoteTs: null }]);
    expect(reasons(result)).toEqual(['bad_quote_time']);
  });

  it('rejects the single-pair object (no pair named) and both error shapes as `bad_shape`', () => {
    for (const body of [
      fixture('bitstamp_ticker_btcusd.json'),
      fixture('bitstamp_ohlc_limit_validation_error.json'),
      '{"status": "error", "reason": "Invalid pair"}',
    ]) {
      const result = bitstamp.parse(ok(body));
      expectWellFormed(result);
      expect(reasons(result)).toEqual(['bad_shape', 'no_rates']);
    }
  });
});

describe('Coinbase Exchange ticker adapter', () => {
  const url = 'https://api.exchange.coinbase.com/products/BTC-USD/ticker';

  it('reads `price` under the quote named in the URL, `time` (ms or µs) as the quote time', () => {
    const result = coinbaseExchange.parse(at(url, ok(fixture('coinbase_exchange_ticker_BTC-USD.json'))));
    expect(result).toEqual({
      rates: [{ currency: 'USD', rate: 6268.48, quoteTs: Date.UTC(2020, 2, 20, 0, 22, 57, 833) }],
      rejections: [],
    });
    const micro = fixture('coinbase_exchange_ticker_BTC-USD.json').replace('57.833Z', '57.833456Z');
    const usdt = coinbaseExchange.parse(at(url.replace('USD', 'USDT'), ok(micro)));
    expect(usdt.rates).toEqual([
      { currency: 'USDT', rate: 6268.48, quoteTs: Date.UTC(2020, 2, 20, 0, 22, 57, 833) },
    ]);
  });

  it('rejects a URL that names no BTC pair, and the 404 of an unknown product', () => {
    const body = fixture('coinbase_exchange_ticker_BTC-USD.json');
    const noPair = coinbaseExchange.parse(at('https://x.test/products/ETH-USD/ticker', ok(body)));
    expect(reasons(noPair)).toEqual(['bad_currency_code', 'no_rates']);
    const notFound = coinbaseExchange.parse(
      at(url, status(404, fixture('coinbase_exchange_not_found_error.json'))),
    );
    expect(reasons(notFound)).toEqual(['http_status']);
    expect(notFound.rejections[0]?.detail).toMatch(/^HTTP 404: .*NotFound/);
    expect(reasons(coinbaseExchange.parse(at(url, ok('{"message":"NotFound"}'))))).toEqual([
      'bad_shape',
      'no_rates',
    ]);
  });
});

describe('Gemini ticker adapter', () => {
  const url = 'https://api.gemini.com/v1/pubticker/btcusd';

  it('reads `last` under the quote of the URL symbol, volume.timestamp (ms) as the quote time', () => {
    const result = gemini.parse(at(url, ok(fixture('gemini_pubticker_btcusd.json'))));
    expect(result).toEqual({
      rates: [{ currency: 'USD', rate: 977.65, quoteTs: 1483018200000 }],
      rejections: [],
    });
  });

  it('rejects the invalid-symbol error, as HTTP 400 and as a 200 body', () => {
    const body = fixture('gemini_invalid_symbol_error.json');
    expect(reasons(gemini.parse(at(url, status(400, body))))).toEqual(['http_status']);
    const shaped = gemini.parse(at(url, ok(body)));
    expect(reasons(shaped)).toEqual(['bad_shape', 'no_rates']);
    expect(shaped.rejections[0]?.detail).toContain('InvalidSymbol');
  });
});

describe('Binance ticker adapter', () => {
  it('reads one symbol (an object) and a `symbols` list alike, the quote after BTC', () => {
    const one = binance.parse(ok(fixture('binance_ticker_price_BTCUSDT.json')));
    expect(one).toEqual({ rates: [{ currency: 'USDT', rate: 60740, quoteTs: null }], rejections: [] });
    const list = [
      { symbol: 'BTCUSD', price: '60700.10000000' },
      { symbol: 'ETHBTC', price: '0.05000000' },
    ];
    const result = binance.parse(ok(JSON.stringify(list)));
    expect(result.rates).toEqual([{ currency: 'USD', rate: 60700.1, quoteTs: null }]);
    expect(reasons(result)).toEqual(['bad_currency_code']);
  });

  it('rejects an invalid symbol (HTTP 400), and HTTP 451 from a restricted location as `unavailable_here`', () => {
    expect(reasons(binance.parse(status(400, fixture('binance_invalid_symbol_error.json'))))).toEqual([
      'http_status',
    ]);
    const restricted = binance.parse(status(451, fixture('binance_restricted_location_451_error.json')));
    expect(restricted.rates).toEqual([]);
    expect(reasons(restricted)).toEqual(['unavailable_here']);
    expect(restricted.rejections[0]?.detail).toMatch(/^HTTP 451: .*restricted location/);
  });

  it('calls HTTP 429 `rate_limited` on every venue', () => {
    const limited = status(429, '{"code":-1003,"msg":"Too many requests."}', { 'retry-after': '30' });
    for (const adapter of [kraken, bitstamp, coinbaseExchange, gemini, binance])
      expect(reasons(adapter.parse(limited))).toEqual(['rate_limited']);
  });
});
