import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../common/config.ts';
import { coingecko } from '../../../ingest/sources/coingecko.ts';
import { expectWellFormed, fixture, ok, reasons } from './helpers.ts';

const QUOTE_MS = Date.UTC(2026, 9, 7, 10, 5, 50); // 1791367550 s, the fixture's last_updated_at

describe('CoinGecko simple/price adapter', () => {
  it('reads the real shape: upper-cased codes, companions skipped, last_updated_at as every quote time', () => {
    expect(coingecko.parse(ok(fixture('coingecko_simple_price.json')))).toEqual({
      rates: [
        { currency: 'USD', rate: 83749, quoteTs: QUOTE_MS },
        { currency: 'EUR', rate: 74795, quoteTs: QUOTE_MS },
      ],
      rejections: [],
    });
  });

  it('skips market cap and volume companions too', () => {
    const body = '{"bitcoin":{"usd":1.5,"usd_market_cap":9e11,"usd_24h_vol":3e10,"usd_24h_change":-1}}';
    expect(coingecko.parse(ok(body))).toEqual({
      rates: [{ currency: 'USD', rate: 1.5, quoteTs: null }],
      rejections: [],
    });
  });

  it('answers the 200 `{}` of an unknown id with `no_rates`', () => {
    const result = coingecko.parse(ok(fixture('coingecko_unknown_id.json')));
    expect(result.rates).toEqual([]);
    expect(result.rejections).toHaveLength(1);
    expect(result.rejections[0]).toMatchObject({ currency: null, reason: 'no_rates' });
    expect(result.rejections[0]?.detail).toContain('bitcoin');
  });

  it.each([
    ['a string', '"1791367550"'],
    ['milliseconds', '1791367550000'],
    ['before bitcoin', '86400'],
    ['negative', '-5'],
    ['null', 'null'],
  ])('rejects a quote time that is %s as `bad_quote_time` but keeps the rates without it', (_, t) => {
    const result = coingecko.parse(ok(`{"bitcoin":{"usd":100,"eur":90,"last_updated_at":${t}}}`));
    expect(result.rates).toEqual([
      { currency: 'USD', rate: 100, quoteTs: null },
      { currency: 'EUR', rate: 90, quoteTs: null },
    ]);
    expect(result.rejections).toMatchObject([{ currency: null, reason: 'bad_quote_time' }]);
  });

  it('rejects an error object or a coin that is not an object as `bad_shape`', () => {
    expect(reasons(coingecko.parse(ok('{"error":"coin not found"}')))).toEqual(['bad_shape', 'no_rates']);
    expect(reasons(coingecko.parse(ok('{"bitcoin":[1]}')))).toEqual(['bad_shape', 'no_rates']);
  });

  it('rejects string prices and odd keys one by one', () => {
    const result = coingecko.parse(ok('{"bitcoin":{"usd":"100","eur":90,"us d":1,"gbp":null,"btc":1}}'));
    expectWellFormed(result);
    expect(result.rates).toEqual([{ currency: 'EUR', rate: 90, quoteTs: null }]);
    expect(result.rejections.map((r) => [r.currency, r.reason])).toEqual([
      ['USD', 'not_a_number'],
      ['us d', 'bad_currency_code'],
      ['GBP', 'not_a_number'],
      ['BTC', 'self_quote'],
    ]);
  });

  it('sends the demo key header only when one is configured', () => {
    expect(coingecko.request(parseConfig({})).headers).not.toHaveProperty('x-cg-demo-api-key');
    const withKey = coingecko.request(parseConfig({ COINGECKO_API_KEY: 'CG-abc' }));
    expect(withKey.headers['x-cg-demo-api-key']).toBe('CG-abc');
    expect(withKey.url).toContain('/simple/price?ids=bitcoin');
  });
});
