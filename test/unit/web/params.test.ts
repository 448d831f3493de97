/** Query parameters: typed values or one reasoned ParamError, whatever the text. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParamError, parseQuery, parseRange } from '../../../web/params.ts';

const NOW = Date.parse('2026-11-27T20:35:30Z');
const q = (s: string) => new URLSearchParams(s);

describe('parseQuery', () => {
  it('reads allowed parameters, treating an empty from or to as absent', () => {
    expect(
      parseQuery(q('source=blockchain&currency=USD&window=1h&from=&to='), [
        'source',
        'currency',
        'window',
        'from',
        'to',
      ]),
    ).toEqual({
      source: 'blockchain',
      currency: 'USD',
      window: '1h',
    });
  });

  it('refuses any other empty parameter, naming it', () => {
    expect(() => parseQuery(q('source='), ['source'])).toThrow(/^source is empty/);
    expect(() => parseQuery(q('source=a&window='), ['source', 'window'])).toThrow(/^window is empty/);
  });

  it('reports every problem at once', () => {
    expect(() => parseQuery(q('window=2h&grain=x&y=1'), ['window', 'grain'])).toThrow(
      /window must be one of 30m, 1h, 1d; grain must be one of hour, day; unknown parameter "y"/,
    );
  });

  it('names the allowed parameters, or says there are none', () => {
    expect(() => parseQuery(q('x=1'), ['source'])).toThrow(/^unknown parameter "x"; allowed: source$/);
    expect(() => parseQuery(q('x=1'), [])).toThrow(/^unknown parameter "x"; this takes none$/);
  });

  it('throws only ParamError, for any text in any parameter', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('source', 'currency', 'range', 'from', 'window', 'refresh'),
        (v, name) => {
          try {
            const p = parseQuery(new URLSearchParams([[name, v]]), [
              'source',
              'currency',
              'range',
              'from',
              'window',
              'refresh',
            ]);
            const got = (p as Record<string, string | undefined>)[name];
            if (got !== undefined && (name === 'source' || name === 'currency'))
              expect(got).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
          } catch (err) {
            expect(err).toBeInstanceOf(ParamError);
          }
        },
      ),
    );
  });
});

describe('parseRange', () => {
  const span = (from: string, to = '2026-02-01') => parseRange({ range: 'custom', from, to }, NOW, '7d').from;

  it('reads dates and datetime-local values as UTC, refusing impossible ones by name', () => {
    expect(span('2026-01-31')).toBe(Date.UTC(2026, 0, 31));
    expect(span('2026-01-31T13:45')).toBe(Date.UTC(2026, 0, 31, 13, 45));
    expect(span('2026-01-31T13:45:10.5Z')).toBe(Date.UTC(2026, 0, 31, 13, 45, 10, 500));
    expect(() => span('2026-02-29', '2026-03-01')).toThrow(/^from "2026-02-29": no such date/);
    expect(() => span('2026-01-31T24:00')).toThrow(/^from "2026-01-31T24:00": no such time of day/);
    expect(() => span('2026-01-01', 'yesterday')).toThrow(/^to "yesterday": not an ISO 8601 date/);
  });

  it('a preset ends now (rounded up to the minute); with from or to it is a contradiction', () => {
    expect(parseRange({ range: '1d' }, NOW, '7d')).toEqual({
      from: Date.parse('2026-11-26T20:36:00Z'),
      to: Date.parse('2026-11-27T20:36:00Z'),
      range: '1d',
    });
    expect(() => parseRange({ range: '1d', from: '2026-01-01', to: '2026-01-02' }, NOW, '7d')).toThrow(
      /range=1d contradicts from \/ to/,
    );
    expect(() => parseRange({ range: '1h', to: '2026-01-02' }, NOW, '7d')).toThrow(ParamError);
    expect(parseRange({}, NOW, '7d').range).toBe('7d');
  });

  it('from/to without a range make a chosen range', () => {
    expect(parseRange({ from: '2026-01-01', to: '2026-01-02' }, NOW, '7d')).toEqual({
      from: Date.UTC(2026, 0, 1),
      to: Date.UTC(2026, 0, 2),
      range: 'custom',
    });
    expect(() => parseRange({ from: '2026-01-01', to: '2037-01-02' }, NOW, '7d')).toThrow(/future/);
    expect(() => parseRange({ from: '2010-01-01', to: '2026-01-02' }, NOW, '7d')).toThrow(/10 years/);
  });
});
