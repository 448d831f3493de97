import { describe, expect, it } from 'vitest';
import { ADAPTERS, adapterFor } from '../../../ingest/sources/index.ts';
import { looksCutOff, parseResponseJson } from '../../../ingest/sources/envelope.ts';
import { checkJump, parseCurrencyCode, parseRateValue } from '../../../ingest/sources/validate.ts';
import { SOURCE_NAMES } from '../../../common/types.ts';
import { fixture, ok } from './helpers.ts';

const rejection = (res: Parameters<typeof parseResponseJson>[0]) => {
  const env = parseResponseJson(res);
  return env.ok ? null : env.rejection;
};

describe('response envelope', () => {
  it.each([0, 199, 301, 404, 429, 500, 503])('rejects HTTP %i as one poll-level rejection', (status) => {
    const r = rejection({ status, headers: {}, body: '{"USD":{"last":1}}' });
    expect(r).toMatchObject({ currency: null, reason: status === 429 ? 'rate_limited' : 'http_status' });
    expect(r?.detail).toMatch(new RegExp(`^HTTP ${status}`));
  });

  it('rejects an empty or blank body', () => {
    expect(rejection(ok(''))?.reason).toBe('empty_body');
    expect(rejection(ok(' \n\t'))?.reason).toBe('empty_body');
  });

  it('recognises HTML by content type or by its first character', () => {
    expect(
      rejection({ status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: '{}' })?.reason,
    ).toBe('html_page');
    expect(rejection(ok('  <!DOCTYPE html><title>502</title>'))?.reason).toBe('html_page');
  });

  it('tells a cut-off body from one that is not JSON', () => {
    const body = fixture('coinbase_v2_exchange_rates_BTC.json');
    for (const cut of [1, 10, 100, body.length - 5])
      expect(rejection(ok(body.slice(0, cut)))?.reason).toBe('truncated');
    expect(rejection(ok('{"a"=1}'))?.reason).toBe('not_json');
    expect(rejection(ok("{'a':1}"))?.reason).toBe('not_json');
    expect(rejection(ok('{"a":1}}'))?.reason).toBe('not_json');
    expect(rejection(ok('hello'))?.reason).toBe('not_json');
    expect(rejection(ok('{"a":NaN}'))?.reason).toBe('not_json');
  });

  it('counts brackets inside strings as text', () => {
    expect(looksCutOff('{"a":"}}"')).toBe(true);
    expect(looksCutOff('{"a":"{\\"}')).toBe(true);
    expect(looksCutOff('{"a":"{["}')).toBe(false);
  });

  it('accepts a byte-order mark', () => {
    expect(parseResponseJson(ok('\uFEFF{"a":1}'))).toEqual({ ok: true, json: { a: 1 } });
  });
});

describe('value checks', () => {
  it.each([
    ['usd', 'USD'],
    ['USDT', 'USDT'],
    ['1INCH', '1INCH'],
    ['XX', 'XX'],
  ])('accepts currency key %s as %s', (key, code) =>
    expect(parseCurrencyCode(key)).toEqual({ ok: true, value: code }),
  );

  it.each(['U', 'TOOLONGCODE1', 'US D', 'US-D', 'ß', 'ßß', 'ıı', '', '__proto__'])(
    'rejects currency key %j',
    (key) => expect(parseCurrencyCode(key)).toMatchObject({ ok: false, reason: 'bad_currency_code' }),
  );

  it('accepts strings only where the API sends them', () => {
    expect(parseRateValue('12.5', true)).toEqual({ ok: true, value: 12.5 });
    expect(parseRateValue('12.5', false)).toMatchObject({ ok: false, reason: 'not_a_number' });
    expect(parseRateValue(true, true)).toMatchObject({ ok: false, reason: 'not_a_number' });
    expect(parseRateValue(Number.NaN, false)).toMatchObject({ ok: false, reason: 'not_a_number' });
    expect(parseRateValue(-Infinity, false)).toMatchObject({ ok: false, reason: 'not_finite' });
    expect(parseRateValue(-0, false)).toMatchObject({ ok: false, reason: 'not_positive' });
  });
});

describe('checkJump', () => {
  it('accepts the first rate and moves within the ratio either way', () => {
    expect(checkJump(undefined, 123)).toBeNull();
    expect(checkJump(100, 150)).toBeNull();
    expect(checkJump(150, 100)).toBeNull();
    expect(checkJump(100, 101, 1.01)).toBeNull();
  });

  it('rejects moves beyond the ratio either way', () => {
    expect(checkJump(100, 150.01)).toMatchObject({ reason: 'absurd_jump' });
    expect(checkJump(100, 66)).toMatchObject({ reason: 'absurd_jump' });
    expect(checkJump(60000, 600000)?.detail).toContain('10x');
    expect(checkJump(100, 103, 1.02)).toMatchObject({ reason: 'absurd_jump' });
  });

  it('ignores a previous rate that could not have been accepted', () => {
    expect(checkJump(0, 5)).toBeNull();
    expect(checkJump(Number.NaN, 5)).toBeNull();
  });
});

describe('adapter registry', () => {
  it('has one adapter per source, of that kind', () => {
    for (const name of SOURCE_NAMES) {
      expect(adapterFor(name)).toBe(ADAPTERS[name]);
      expect(adapterFor(name).kind).toBe(name);
    }
  });
});
