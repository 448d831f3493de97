/**
 * The Coinbase fast path (compact answers read without JSON.parse): where it answers it must agree with the full
 * parse exactly, and the adapter must give the same result with and without it, for any body.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactRates, parseCoinbase, parseCoinbaseJson } from '../../../ingest/sources/coinbase.ts';
import { coinbaseSpec, mutatedResponse, serialize } from './arbitraries.ts';
import { fixture, ok } from './helpers.ts';

const HEAD = '{"data":{"currency":"BTC","rates":';
const fast = (rates: string, tail = '}}') => compactRates(ok(`${HEAD}${rates}${tail}`));

describe('compactRates', () => {
  it('reads compact plain rates in order, the base currency as a self quote', () => {
    expect(fast('{"1INCH":"3","BTC":"1.00000000","USD":"1.5"}', '}} \n\r\t')).toEqual({
      rates: [
        { currency: '1INCH', rate: 3, quoteTs: null },
        { currency: 'USD', rate: 1.5, quoteTs: null },
      ],
      rejections: [
        {
          currency: 'BTC',
          reason: 'self_quote',
          detail: 'BTC priced in itself ("1.00000000") is not a rate',
        },
      ],
    });
  });

  it.each([
    ['whitespace', '{"USD": "1"}'],
    ['an escape', '{"USD":"1\\u0030"}'],
    ['a control character', '{"USD":"1\t"}'],
    ['a number', '{"USD":1}'],
    [
      'a repeated key (JSON.parse keeps the last value at the first place)',
      '{"EUR":"2","USD":"1","USD":"3"}',
    ],
    ['keys out of order', '{"USD":"1","EUR":"2"}'],
    ['an array-index key (enumerated first by JavaScript)', '{"10":"2","USD":"1"}'],
    ['a lower-case key', '{"usd":"1"}'],
    ['a zero rate', '{"USD":"0.00"}'],
    ['an exponent', '{"USD":"1e3"}'],
    ['a rate beyond doubles', `{"USD":"1${'0'.repeat(400)}"}`],
    ['a nested object', '{"USD":{"a":"1"}}'],
    ['no rates', '{}'],
    ['only the self quote', '{"BTC":"1"}'],
    ['a cut-off object', '{"USD":"1",'],
  ])('gives up on %s', (_, rates) => {
    expect(fast(rates)).toBeNull();
  });

  it.each([
    ['text after the answer', '}}x'],
    ['a non-JSON space after it', '}}\u00a0'],
    ['another member after the rates', '},"x":"1"}'],
  ])('gives up on %s', (_, tail) => {
    expect(fast('{"USD":"1"}', tail)).toBeNull();
    expect(fast('{"USD":"1"}')).not.toBeNull();
  });

  it('agrees with the full parse whenever it answers (2000 bodies)', () => {
    // Mostly what the fast path takes, with every kind of thing it must give up on mixed in.
    const key = fc.oneof(
      { arbitrary: fc.stringMatching(/^[A-Z0-9]{2,10}$/), weight: 8 },
      fc.constantFrom('usd', 'BTC', '10', '007', '1INCH', '__proto__', 'a"b', '', 'ABCDEFGHIJK'),
      fc.string({ maxLength: 4 }),
    );
    const value = fc.oneof(
      { arbitrary: fc.stringMatching(/^\d{1,4}(\.\d{1,3})?$/), weight: 8 },
      fc.constantFrom('0', '0.0', '1.', '.5', '1e3', ' 5', '-2'),
      fc.string({ maxLength: 6 }),
      fc.double(),
    );
    let answered = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 4 }), fc.boolean(), (members, sorted) => {
        const list = sorted ? [...members].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : members;
        const body = `${HEAD}{${list.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}}}`;
        const got = compactRates(ok(body));
        if (got) expect(got).toEqual(parseCoinbaseJson(ok(body)));
        if (got) answered++;
      }),
      { numRuns: 2000 },
    );
    expect(answered).toBeGreaterThan(100);
  });
});

describe('Coinbase fast path', () => {
  const same = (body: string, headers?: Record<string, string>, status = 200) => {
    const res = { ...ok(body, headers), status };
    expect(parseCoinbase(res)).toEqual(parseCoinbaseJson(res));
  };

  it('is taken for the real answer, which Coinbase sends compact', () => {
    // The fixture is kept indented for reading; the API sends it without whitespace.
    const body = JSON.stringify(JSON.parse(fixture('coinbase_v2_exchange_rates_BTC.json')));
    expect(compactRates(ok(body))?.rates).toHaveLength(22);
    same(body);
  });

  it('gives what JSON.parse gives for generated payloads, compact or not (1000 payloads)', () => {
    fc.assert(
      fc.property(coinbaseSpec.payload, fc.constantFrom(0, 1, 2), ({ json }, indent) =>
        same(JSON.stringify(json, null, indent)),
      ),
      { numRuns: 1000 },
    );
  });

  it('gives what JSON.parse gives for odd rate maps and tails (2000 bodies)', () => {
    const key = fc.oneof(
      fc.constantFrom('USD', 'usd', 'BTC', 'btc', '10', '__proto__', 'a"b', ''),
      fc.string({ maxLength: 4 }),
    );
    const value = fc.oneof(
      fc.constantFrom('1', '1.5', '0', '-2', '1e5', ' 5', '0x1A', ''),
      fc.string({ maxLength: 5 }),
      fc.double(),
    );
    const tail = fc.constantFrom('}}', '}} \n', '}}x', '}', '}}}', '},"x":"1"}');
    const head = fc.constantFrom(HEAD, '{"data":{"currency":"btc","rates":', `\ufeff${HEAD}`);
    fc.assert(
      fc.property(head, fc.array(fc.tuple(key, value), { maxLength: 6 }), tail, (h, members, t) =>
        same(`${h}{${members.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}${t}`),
      ),
      { numRuns: 2000 },
    );
  });

  it('gives what JSON.parse gives for mutated responses, statuses and HTML included (2000 responses)', () => {
    fc.assert(
      fc.property(mutatedResponse(coinbaseSpec), (res) => {
        expect(parseCoinbase(res)).toEqual(parseCoinbaseJson(res));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves non-2xx and HTML answers to the checks before parsing', () => {
    const body = serialize({ data: { currency: 'BTC', rates: { USD: '1' } } });
    expect(compactRates(ok(body))).not.toBeNull();
    expect(compactRates({ ...ok(body), status: 429 })).toBeNull();
    expect(compactRates(ok(body, { 'content-type': 'text/html' }))).toBeNull();
    same(body, undefined, 429);
    same(body, { 'content-type': 'text/html' });
    expect(parseCoinbase({ ...ok(body), status: 429 }).rejections[0]?.reason).toBe('rate_limited');
  });
});
