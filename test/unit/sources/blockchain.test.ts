import { describe, expect, it } from 'vitest';
import { blockchain } from '../../../ingest/sources/blockchain.ts';
import { expectWellFormed, fixture, ok, reasons } from './helpers.ts';

describe('blockchain.info ticker adapter', () => {
  it('reads `last` of every currency of the real shape, with no quote time', () => {
    const result = blockchain.parse(ok(fixture('blockchain_info_ticker.json')));
    expect(result).toEqual({
      rates: [
        { currency: 'USD', rate: 6969.2, quoteTs: null },
        { currency: 'AUD', rate: 9954.81, quoteTs: null },
        { currency: 'BRL', rate: 27585.84, quoteTs: null },
        { currency: 'CAD', rate: 9353.75, quoteTs: null },
        { currency: 'CHF', rate: 7050.74, quoteTs: null },
      ],
      rejections: [],
    });
  });

  it('ignores `symbol`, glyph or ISO code alike: the key is the currency', () => {
    const result = blockchain.parse(ok(fixture('blockchain_info_ticker_newer_symbols.json')));
    expect(result.rates).toEqual([
      { currency: 'AUD', rate: 64120.53, quoteTs: null },
      { currency: 'BRL', rate: 243922.76, quoteTs: null },
    ]);
    const swapped = blockchain.parse(
      ok('{"EUR": {"last": 90000.5, "symbol": "USD"}, "GBP": {"last": 80000, "symbol": "€"}}'),
    );
    expect(swapped.rates.map((r) => r.currency)).toEqual(['EUR', 'GBP']);
  });

  it('uses `last`, not `15m`, `buy` or `sell`', () => {
    const result = blockchain.parse(ok('{"USD": {"15m": 1, "last": 2, "buy": 3, "sell": 4, "symbol": "$"}}'));
    expect(result.rates).toEqual([{ currency: 'USD', rate: 2, quoteTs: null }]);
  });

  it('keeps the good currencies of a partly bad payload and says why each other one was dropped', () => {
    // Written by hand: JSON.stringify cannot produce 1e999, the overflow a server could send.
    const body = `{
      "USD": {"last": 60000}, "EUR": {"last": "55000"}, "GBP": {"last": -1}, "JPY": {"last": 0},
      "U$D": {"last": 5}, "CHF": "oops", "CAD": {"buy": 1}, "AUD": {"last": 1e999}, "BRL": {"last": null}
    }`;
    const result = blockchain.parse(ok(body));
    expectWellFormed(result);
    expect(result.rates).toEqual([{ currency: 'USD', rate: 60000, quoteTs: null }]);
    expect(result.rejections.map((r) => [r.currency, r.reason])).toEqual([
      ['EUR', 'not_a_number'], // strings are not what blockchain.info sends
      ['GBP', 'not_positive'],
      ['JPY', 'not_positive'],
      ['U$D', 'bad_currency_code'],
      ['CHF', 'bad_shape'],
      ['CAD', 'bad_shape'],
      ['AUD', 'not_finite'],
      ['BRL', 'not_a_number'],
    ]);
  });

  it('turns an empty ticker into one `no_rates` rejection', () => {
    expect(blockchain.parse(ok('{}')).rejections).toEqual([
      { currency: null, reason: 'no_rates', detail: 'the payload lists no currencies' },
    ]);
  });

  it('rejects an array or scalar as `bad_shape`, then `no_rates`', () => {
    expect(reasons(blockchain.parse(ok('[1,2]')))).toEqual(['bad_shape', 'no_rates']);
    expect(reasons(blockchain.parse(ok('42')))).toEqual(['bad_shape', 'no_rates']);
  });

  it('asks the configured URL', () => {
    const req = blockchain.request({ BLOCKCHAIN_URL: 'http://127.0.0.1:8099/blockchain/ticker' } as never);
    expect(req.url).toBe('http://127.0.0.1:8099/blockchain/ticker');
  });
});
