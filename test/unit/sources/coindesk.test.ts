import { describe, expect, it } from 'vitest';
import { coindesk } from '../../../ingest/sources/coindesk.ts';
import { fixture, ok, reasons } from './helpers.ts';

const QUOTE_MS = Date.UTC(2025, 0, 6, 13, 18, 5);

describe('CoinDesk BPI v1 adapter', () => {
  it('reads rate_float (not the separated `rate`) with time.updatedISO as quote time', () => {
    expect(coindesk.parse(ok(fixture('coindesk_v1_currentprice.json')))).toEqual({
      rates: [
        { currency: 'USD', rate: 99009.2596, quoteTs: QUOTE_MS },
        { currency: 'GBP', rate: 78957.9044, quoteTs: QUOTE_MS },
        { currency: 'EUR', rate: 94986.6124, quoteTs: QUOTE_MS },
      ],
      rejections: [],
    });
  });

  it('never falls back to `rate` when rate_float is missing', () => {
    const body = '{"time":{"updatedISO":"2025-01-06T13:18:05+00:00"},"bpi":{"USD":{"rate":"99,009.26"}}}';
    const result = coindesk.parse(ok(body));
    expect(result.rates).toEqual([]);
    expect(result.rejections.map((r) => [r.currency, r.reason])).toEqual([
      ['USD', 'bad_shape'],
      [null, 'no_rates'],
    ]);
  });

  it('honours the offset of updatedISO', () => {
    const body = '{"time":{"updatedISO":"2025-01-06T14:18:05+01:00"},"bpi":{"USD":{"rate_float":5}}}';
    expect(coindesk.parse(ok(body)).rates).toEqual([{ currency: 'USD', rate: 5, quoteTs: QUOTE_MS }]);
  });

  it.each([
    ['missing', '{}'],
    ['the human-readable form', '{"updatedISO":"Jan 6, 2025 13:18:05 UTC"}'],
    ['without a zone', '{"updatedISO":"2025-01-06T13:18:05"}'],
    ['an impossible date', '{"updatedISO":"2025-13-45T13:18:05+00:00"}'],
    ['a number', '{"updatedISO":1736169485}'],
  ])('rejects a quote time that is %s as `bad_quote_time` and keeps the rate', (_, time) => {
    const result = coindesk.parse(ok(`{"time":${time},"bpi":{"USD":{"rate_float":5}}}`));
    expect(result.rates).toEqual([{ currency: 'USD', rate: 5, quoteTs: null }]);
    expect(reasons(result)).toEqual(['bad_quote_time']);
  });

  it('rejects a body without `bpi` as `bad_shape`', () => {
    expect(reasons(coindesk.parse(ok('{"time":{}}')))).toEqual(['bad_shape', 'no_rates']);
  });
});
