/**
 * The compact string-members scan and the Coinbase fast path built on it: where the scan answers it must agree
 * with JSON.parse exactly, and the adapter must give the same result with and without it, for any body.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCoinbase, parseCoinbaseJson } from '../../../ingest/sources/coinbase.ts';
import { onlyWhitespaceFrom, scanStringMembers } from '../../../ingest/sources/string-members.ts';
import { coinbaseSpec, mutatedResponse, serialize } from './arbitraries.ts';
import { fixture, ok } from './helpers.ts';

const scan = (text: string) => scanStringMembers(text, 0);

describe('scanStringMembers', () => {
  it('reads compact string members in order, and where the object ends', () => {
    expect(scan('{"USD":"1.5","__proto__":"2","1INCH":"3"}x')).toEqual({
      members: [
        ['USD', '1.5'],
        ['__proto__', '2'],
        ['1INCH', '3'],
      ],
      end: 41,
    });
    expect(scan('{}')).toEqual({ members: [], end: 2 });
  });

  it.each([
    ['whitespace', '{"USD": "1"}'],
    ['an escape', '{"USD":"1\\u0030"}'],
    ['a control character', '{"USD":"1\t"}'],
    ['a number', '{"USD":1}'],
    [
      'a repeated key (JSON.parse keeps the last value at the first place)',
      '{"USD":"1","EUR":"2","USD":"3"}',
    ],
    ['an array-index key (enumerated first by JavaScript)', '{"USD":"1","10":"2"}'],
    ['a nested object', '{"USD":{"a":"1"}}'],
    ['a cut-off object', '{"USD":"1",'],
    ['no object', '"USD"'],
  ])('gives up on %s', (_, text) => {
    expect(scan(text)).toBeNull();
  });

  it('agrees with JSON.parse whenever it answers (2000 objects)', () => {
    const key = fc.oneof(
      fc.constantFrom('USD', 'usd', 'EUR', 'BTC', '10', '007', '__proto__', 'constructor', 'a"b', 'a\\b', ''),
      fc.stringMatching(/^[A-Za-z0-9]{1,6}$/),
      fc.string({ maxLength: 4 }),
    );
    const value = fc.oneof(fc.string({ maxLength: 6 }), fc.double(), fc.constant(null));
    const member = fc.tuple(key, value, fc.constantFrom(':', ': ', ' :'));
    fc.assert(
      fc.property(fc.array(member, { maxLength: 8 }), fc.constantFrom(',', ', '), (members, comma) => {
        const text = `{${members.map(([k, v, colon]) => `${JSON.stringify(k)}${colon}${JSON.stringify(v)}`).join(comma)}}`;
        const got = scan(text);
        if (got) {
          expect(got.members).toEqual(Object.entries(JSON.parse(text) as object));
          expect(got.end).toBe(text.length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('knows JSON whitespace', () => {
    expect(onlyWhitespaceFrom('x \n\r\t', 1)).toBe(true);
    expect(onlyWhitespaceFrom('x \u00a0', 1)).toBe(false);
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
    const rates = scanStringMembers(body, body.indexOf('"rates":') + 8);
    expect(rates?.members).toHaveLength(23);
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
    const head = fc.constantFrom(
      '{"data":{"currency":"BTC","rates":',
      '{"data":{"currency":"btc","rates":',
      '\ufeff{"data":{"currency":"BTC","rates":',
    );
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
    same(body, undefined, 429);
    same(body, { 'content-type': 'text/html' });
    expect(parseCoinbase({ ...ok(body), status: 429 }).rejections[0]?.reason).toBe('rate_limited');
  });
});
