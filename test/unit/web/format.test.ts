/** How numbers, times and CSV look. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmtAge, fmtPct, fmtRate, fmtTime, shownSign, toCsv } from '../../../web/format.ts';

describe('fmtRate', () => {
  it('groups thousands and keeps two decimals, like Intl en-US', () => {
    const intl = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    fc.assert(
      fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), (v) => {
        // Intl rounds half away from zero on the decimal value; toFixed on the binary one: compare off the tie.
        fc.pre(Math.abs(((Math.abs(v) * 100) % 1) - 0.5) > 1e-6);
        expect(fmtRate(v)).toBe(intl.format(v).replace(/^-(0\.00)$/, '$1'));
      }),
    );
    expect(fmtRate(null)).toBe('–');
    expect(fmtRate(Number.NaN)).toBe('–');
  });
});

describe('fmtPct and shownSign', () => {
  it('never shows -0.0 %, and a fraction that shows as 0.0 % has no sign', () => {
    expect(fmtPct(0.1234)).toBe('12.3 %');
    expect(fmtPct(-0.0000001)).toBe('0.0 %');
    expect(fmtPct(null)).toBe('–');
    fc.assert(
      fc.property(fc.double({ min: -2, max: 2, noNaN: true }), (v) => {
        const shown = Number(fmtPct(v).replace(' %', ''));
        expect(shownSign(v)).toBe(shown === 0 ? 0 : Math.sign(shown));
      }),
    );
  });
});

describe('fmtTime and fmtAge', () => {
  it('shows UTC to the minute, and coarse ages', () => {
    expect(fmtTime(Date.UTC(2026, 10, 27, 20, 35, 12))).toBe('2026-11-27 20:35 UTC');
    expect(fmtTime(Date.UTC(2026, 10, 27, 20, 35, 12), true)).toBe('2026-11-27 20:35:12 UTC');
    expect([fmtAge(42_000), fmtAge(300_000), fmtAge(3 * 3_600_000), fmtAge(5 * 86_400_000)]).toEqual([
      '42 s',
      '5 min',
      '3 h',
      '5 d',
    ]);
  });
});

describe('toCsv', () => {
  it('quotes what needs quoting, writes dates as ISO and null as empty, and defuses formulas', () => {
    const csv = toCsv(
      ['a', 'b', 'c'],
      [
        { a: 'x,y', b: new Date(Date.UTC(2026, 0, 1)), c: null },
        { a: '=HYPERLINK("http://x")', b: 'say "hi"', c: -1.5 },
      ],
    );
    expect(csv).toBe(
      'a,b,c\r\n"x,y",2026-01-01T00:00:00.000Z,\r\n"\'=HYPERLINK(""http://x"")","say ""hi""",-1.5\r\n',
    );
  });
});
