/** The venues' candle pages on the real samples and hostile variants: rows, the still-open candle, rejections. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../common/config.ts';
import type { SourceName } from '../../../common/types.ts';
import type { RawEnvelope } from '../../../ingest/archive/envelope.ts';
import { CANDLE_VENUES, candleRates } from '../../../ingest/sources/candles.ts';
import { fixture } from './helpers.ts';

const config = parseConfig({});
const T0 = Date.UTC(2031, 0, 5, 10, 0);

const ALL = { from: 0, to: Date.UTC(2100, 0) };
/** A candle page envelope for `source`'s first pair, fetched at `fetchedAt`, that asked for the minutes `range`. */
function page(source: SourceName, body: string, fetchedAt: number, status = 200, range = ALL): RawEnvelope {
  const venue = CANDLE_VENUES[source]!;
  const url = venue.url(config, Object.keys(venue.pairs)[0]!, T0, T0 + 10 * 60_000);
  return {
    ...{
      v: 1,
      id: 'x',
      source,
      url,
      minute: new Date(Math.floor(fetchedAt / 60_000) * 60_000).toISOString(),
    },
    ...{ attempt: 1, final: true, fetchedAt: new Date(fetchedAt).toISOString(), latencyMs: 1, status },
    ...{ headers: { 'content-type': 'application/json' }, body, bodyEncoding: 'utf8' as const },
    ...{ bodyTruncated: false, error: null, poller: 'candles', candles: range },
  };
}
const closes = (r: ReturnType<typeof candleRates>) => r.rates.map((x) => [x.ts / 1000, x.currency, x.rate]);
const LATER = Date.UTC(2030, 0, 1);

describe('candle page parsers on the real samples', () => {
  it('Kraken: closes (index 4) at their open second, the series found beside `last`', () => {
    const r = candleRates(page('kraken', fixture('kraken_ohlc_XBTUSD_1m.json'), LATER));
    expect(closes(r)).toEqual([
      [1688671200, 'USD', 30305.7],
      [1688671260, 'USD', 30300.0],
      [1688671320, 'USD', 30291.4],
      [1688671380, 'USD', 30295.0],
    ]);
    expect(r.rejections).toEqual([]);
  });

  it('Kraken: the last row, still open when fetched, is dropped', () => {
    const r = candleRates(page('kraken', fixture('kraken_ohlc_XBTUSD_1m.json'), 1688671380_000 + 30_000));
    expect(r.rates.map((x) => x.ts / 1000)).toEqual([1688671200, 1688671260, 1688671320]);
  });

  it('keeps only the minutes the page asked for (Kraken answers every minute since `since`)', () => {
    const asked = { from: 1688671260_000, to: 1688671380_000 };
    const r = candleRates(page('kraken', fixture('kraken_ohlc_XBTUSD_1m.json'), LATER, 200, asked));
    expect(r.rates.map((x) => x.ts / 1000)).toEqual([1688671260, 1688671320]);
  });

  it('Bitstamp: objects with string fields, `timestamp` in seconds', () => {
    const r = candleRates(page('bitstamp', fixture('bitstamp_ohlc_btcusd_60.json'), LATER));
    expect(closes(r)).toEqual([
      [1656868680, 'USD', 19111.99],
      [1656868740, 'USD', 19113.03],
      [1656868800, 'USD', 19121.32],
    ]);
  });

  it('Coinbase Exchange: newest first, numbers, close at index 4 (low before high)', () => {
    const r = candleRates(
      page('coinbase_exchange', fixture('coinbase_exchange_candles_BTC-USD_60.json'), LATER),
    );
    expect(closes(r)).toEqual([
      [1642330740, 'USD', 42940.33],
      [1642330680, 'USD', 42983.91],
      [1642330620, 'USD', 43007.73],
    ]);
  });

  it('Binance: open time in ms, close a string, filed under USDT; the open minute dropped', () => {
    const body = fixture('binance_klines_BTCUSDT_1m.json');
    expect(closes(candleRates(page('binance', body, LATER)))).toEqual([
      [1642329960, 'USDT', 43070.0],
      [1642330020, 'USDT', 43072.6],
      [1642330080, 'USDT', 43071.18],
    ]);
    expect(candleRates(page('binance', body, 1642330080_000 + 59_000)).rates).toHaveLength(2);
  });
});

describe('candle page parsers on hostile pages', () => {
  it("the venues' limit errors reject the whole page with the venue's message", () => {
    const bitstamp = candleRates(
      page('bitstamp', fixture('bitstamp_ohlc_limit_validation_error.json'), LATER, 400),
    );
    expect(bitstamp.rates).toEqual([]);
    expect(bitstamp.rejections[0]).toMatchObject({
      reason: 'http_status',
      detail: expect.stringContaining('1000'),
    });
    const cb = candleRates(
      page('coinbase_exchange', fixture('coinbase_exchange_candles_too_many_error.json'), LATER, 400),
    );
    expect(cb.rejections[0]?.detail).toContain('exceeds 300');
    const kraken = candleRates(page('kraken', '{"error":["EGeneral:Too many requests"]}', LATER));
    expect(kraken.rejections[0]).toMatchObject({
      reason: 'bad_shape',
      detail: expect.stringContaining('Too many'),
    });
  });

  it('a page with no answer, or one cut at the size cap, is rejected as the poller rejects it, unparsed', () => {
    const refused = { ...page('bitstamp', '', LATER, 0), error: 'connect ECONNREFUSED 127.0.0.1:9' };
    expect(candleRates(refused)).toEqual({
      rates: [],
      rejections: [
        { currency: null, reason: 'network', detail: 'no response: connect ECONNREFUSED 127.0.0.1:9' },
      ],
    });
    // Cut at the cap, a page is not read, even when what came parses: a prefix could pass for the whole.
    const whole = page('bitstamp', fixture('bitstamp_ohlc_btcusd_60.json'), LATER);
    expect(candleRates(whole).rates.length).toBeGreaterThan(0);
    const cut = candleRates({ ...whole, bodyTruncated: true });
    expect(cut).toEqual({ rates: [], rejections: [expect.objectContaining({ reason: 'truncated' })] });
  });

  it('a bad row is rejected with a reason; the good rows stay', () => {
    const rows = [
      [1642329960000, '1', '1', '1', '43070.5'],
      [1642329960001, '1', '1', '1', '43070.5'],
      ['soon', '1', '1', '1', '43070.5'],
      [1642330080000, '1', '1', '1', 'NaN'],
      [1642330140000, '1', '1', '1', '-3'],
      [1642330200000, '1', '1', '1', null],
      'row',
      null,
    ];
    const r = candleRates(page('binance', JSON.stringify(rows), LATER));
    expect(closes(r)).toEqual([[1642329960, 'USDT', 43070.5]]);
    expect(r.rejections.map((j) => j.reason)).toEqual([
      'bad_quote_time',
      'bad_quote_time',
      'not_a_number',
      'not_positive',
      'not_a_number',
      'bad_quote_time',
      'bad_quote_time',
    ]);
  });

  it('Coinbase closes must be numbers: a string close is refused', () => {
    const r = candleRates(page('coinbase_exchange', '[[1642330740, 1, 2, 1, "42940.33", 1]]', LATER));
    expect(r.rates).toEqual([]);
    expect(r.rejections[0]?.reason).toBe('not_a_number');
  });

  it('wrong shapes, HTML, truncation and a pair never asked for are rejections, never a throw', () => {
    for (const [source, body] of [
      ['kraken', '{"error":[],"result":{"last":1}}'],
      ['bitstamp', '[]'],
      ['coinbase_exchange', '{"message":"NotFound"}'],
      ['binance', '<html>'],
      ['binance', '[[1642329960000,'],
      ['bitstamp', '{"data":{"ohlc":[{"timestamp":{},"close":"1"}]}}'],
    ] as const) {
      const r = candleRates(page(source, body, LATER));
      expect(r.rates, `${source} ${body}`).toEqual([]);
      expect(r.rejections.length, `${source} ${body}`).toBeGreaterThan(0);
    }
    const foreign = {
      ...page('kraken', '{}', LATER),
      url: 'https://api.kraken.com/0/public/OHLC?pair=ETHUSD',
    };
    expect(candleRates(foreign).rejections[0]?.detail).toContain('no candle page');
  });

  it('each page URL stays within the venue limits and names its pair', () => {
    const to = T0 + 300 * 60_000;
    expect(CANDLE_VENUES.kraken!.url(config, 'XBTUSD', T0, to)).toBe(
      `https://api.kraken.com/0/public/OHLC?pair=XBTUSD&interval=1&since=${T0 / 1000 - 60}`,
    );
    expect(CANDLE_VENUES.bitstamp!.url(config, 'btcusd', T0, to)).toContain(
      '/api/v2/ohlc/btcusd/?step=60&limit=300',
    );
    expect(CANDLE_VENUES.coinbase_exchange!.url(config, 'BTC-USD', T0, to)).toBe(
      'https://api.exchange.coinbase.com/products/BTC-USD/candles?granularity=60&start=2031-01-05T10:00:00.000Z&end=2031-01-05T14:59:00.000Z',
    );
    expect(CANDLE_VENUES.binance!.url(config, 'BTCUSDT', T0, to)).toBe(
      `https://api.binance.com/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=300&startTime=${T0}&endTime=${to - 1}`,
    );
  });
});
