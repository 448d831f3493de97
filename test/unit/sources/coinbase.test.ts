import { describe, expect, it } from 'vitest';
import { coinbase } from '../../../ingest/sources/coinbase.ts';
import { expectWellFormed, fixture, ok, reasons } from './helpers.ts';

describe('Coinbase exchange-rates adapter', () => {
  it('reads every decimal string of the real shape and rejects BTC as a self quote', () => {
    const result = coinbase.parse(ok(fixture('coinbase_v2_exchange_rates_BTC.json')));
    const expected: [string, number][] = [
      ['AED', 16016.03],
      ['AFN', 298354.43],
      ['ALL', 480232.88],
      ['AMD', 2081161.76],
      ['ANG', 7744.46],
      ['AOA', 723512.93],
      ['ARS', 75138.95],
      ['AUD', 5475.81],
      ['AWG', 7833.81],
      ['AZN', 7413.02],
      ['BAM', 7128.01],
      ['BBD', 8721.2],
      ['BDT', 353913.82],
      ['BGN', 7077.42],
      ['BHD', 1644.84],
      ['BIF', 7574362],
      ['BMD', 4360.6],
      ['BND', 5896.97],
      ['BOB', 30344.32],
      ['BRL', 13813.51],
      ['BSD', 4360.6],
      ['BTN', 278644.52],
    ];
    expect(result.rates).toEqual(expected.map(([currency, rate]) => ({ currency, rate, quoteTs: null })));
    expect(result.rejections).toEqual([
      { currency: 'BTC', reason: 'self_quote', detail: 'BTC priced in itself ("1.00000000") is not a rate' },
    ]);
  });

  it('rejects HTTP 429 with its JSON error body as `rate_limited`, quoting the error', () => {
    const result = coinbase.parse({
      status: 429,
      headers: { 'Content-Type': 'application/json', 'Retry-After': '30' },
      body: fixture('coinbase_429_rate_limit.json'),
    });
    expect(result.rates).toEqual([]);
    expect(result.rejections).toHaveLength(1);
    expect(result.rejections[0]).toMatchObject({ currency: null, reason: 'rate_limited' });
    expect(result.rejections[0]?.detail).toMatch(/^HTTP 429: .*rate_limit_exceeded/);
  });

  it('rejects the same error body sent with status 200 as `bad_shape`, naming the errors', () => {
    const result = coinbase.parse(ok(fixture('coinbase_429_rate_limit.json')));
    expect(reasons(result)).toEqual(['bad_shape', 'no_rates']);
    expect(result.rejections[0]?.detail).toContain('rate_limit_exceeded');
  });

  it('parses decimal strings strictly', () => {
    const rates = {
      AAA: '1,234.5',
      BBB: '12abc',
      CCC: ' 12',
      DDD: '',
      EEE: '0.00000000',
      FFF: '-3.5',
      GGG: '1' + '0'.repeat(400),
      HHH: 'NaN',
      III: 'Infinity',
      JJJ: '0x10',
      KKK: 7,
      LLL: '.5',
      MMM: '2.',
      NNN: '1.5e3',
    };
    const result = coinbase.parse(ok(JSON.stringify({ data: { currency: 'BTC', rates } })));
    expectWellFormed(result);
    expect(result.rejections.map((r) => [r.currency, r.reason])).toEqual([
      ['AAA', 'not_a_number'],
      ['BBB', 'not_a_number'],
      ['CCC', 'not_a_number'],
      ['DDD', 'not_a_number'],
      ['EEE', 'not_positive'],
      ['FFF', 'not_positive'],
      ['GGG', 'not_finite'],
      ['HHH', 'not_a_number'],
      ['III', 'not_a_number'],
      ['JJJ', 'not_a_number'],
    ]);
    expect(result.rates.map((r) => [r.currency, r.rate])).toEqual([
      ['KKK', 7],
      ['LLL', 0.5],
      ['MMM', 2],
      ['NNN', 1500],
    ]);
  });

  it('refuses rates quoted against another base currency', () => {
    const result = coinbase.parse(ok('{"data":{"currency":"USD","rates":{"EUR":"0.92"}}}'));
    expect(result.rates).toEqual([]);
    expect(reasons(result)).toEqual(['bad_shape', 'no_rates']);
    expect(result.rejections[0]?.detail).toContain('"USD"');
  });

  it('says `no_rates` when the only entry is the self quote', () => {
    const result = coinbase.parse(ok('{"data":{"currency":"BTC","rates":{"BTC":"1.00000000"}}}'));
    expect(reasons(result)).toEqual(['self_quote', 'no_rates']);
    expect(result.rejections[1]?.detail).toBe('none of 1 currencies accepted (self_quote)');
  });

  it('treats keys differing only in case as ambiguous and keeps neither', () => {
    const result = coinbase.parse(ok('{"data":{"currency":"BTC","rates":{"usd":"1","USD":"2","EUR":"3"}}}'));
    expect(result.rates).toEqual([{ currency: 'EUR', rate: 3, quoteTs: null }]);
    expect(result.rejections).toMatchObject([{ currency: 'USD', reason: 'bad_currency_code' }]);
  });
});
