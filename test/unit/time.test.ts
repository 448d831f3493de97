/** The one parser of typed times: ISO 8601 in UTC or with an offset, Unix times, durations; impossible ones refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseEpoch, parseIsoTime, parseTimestamp } from '../../common/time.ts';

const ms = (s: string) => {
  const p = parseIsoTime(s);
  return p.ok ? p.ms : p.reason;
};
const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
/** Independent of the parser: Date's own UTC fields. */
const fields = (t: number) => {
  const d = new Date(t);
  return [
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  ];
};
const instant = fc.integer({ min: Date.UTC(2009, 0, 3), max: Date.UTC(2099, 11, 31) });

describe('parseIsoTime', () => {
  it('reads dates as midnight UTC and zone-less times as UTC', () => {
    expect(ms('2031-01-05')).toBe(Date.UTC(2031, 0, 5));
    expect(ms('2031-01-05T10:30')).toBe(Date.UTC(2031, 0, 5, 10, 30));
    expect(ms('2031-01-05 10:30:15.123456')).toBe(Date.UTC(2031, 0, 5, 10, 30, 15, 123));
    expect(ms('2031-01-05T10:30Z')).toBe(Date.UTC(2031, 0, 5, 10, 30));
    expect(ms('2023-03-01 00:00:00+00:00')).toBe(Date.UTC(2023, 2, 1));
    expect(ms('2031-01-05T10:30+02:00')).toBe(Date.UTC(2031, 0, 5, 8, 30));
    expect(ms('2031-01-05T10:30-0530')).toBe(Date.UTC(2031, 0, 5, 16, 0));
  });

  it('refuses impossible dates and times instead of rolling them over', () => {
    expect(ms('2031-02-30')).toBe('no such date: February 2031 has 28 days');
    expect(ms('2032-02-30T00:00Z')).toBe('no such date: February 2032 has 29 days');
    expect(ms('2031-13-01')).toBe('no month 13');
    expect(ms('2031-04-31')).toMatch(/April 2031 has 30 days/);
    expect(ms('2031-01-05T24:00')).toMatch(/no such time of day 24:00/);
    expect(ms('2031-01-05T10:60')).toMatch(/no such time of day/);
    expect(ms('2031-01-05T10:00:61')).toMatch(/no such time of day/);
    expect(ms('2031-01-05T10:00+25:00')).toMatch(/no such UTC offset/);
    for (const bad of ['', 'yesterday', '2031-1-5', '05/01/2031', '2031-01-05T10', '1700000000'])
      expect(ms(bad)).toMatch(/not an ISO 8601 date or time/);
  });

  it('round-trips any instant written in UTC, without a zone, or with any offset (property)', () => {
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.constantFrom('T', ' '),
        (t, off, sep) => {
          const whole = t - (t % 1000);
          const [y, mo, d, h, mi, s] = fields(whole);
          const utc = `${y}-${pad(mo!)}-${pad(d!)}${sep}${pad(h!)}:${pad(mi!)}:${pad(s!)}`;
          expect(ms(utc)).toBe(whole);
          expect(ms(`${utc}Z`)).toBe(whole);
          expect(ms(`${utc}.${String(t % 1000).padStart(3, '0')}999Z`)).toBe(t);
          const [ly, lmo, ld, lh, lmi, ls] = fields(whole + off * 60_000);
          const local = `${ly}-${pad(lmo!)}-${pad(ld!)}T${pad(lh!)}:${pad(lmi!)}:${pad(ls!)}`;
          expect(ms(`${local}${off < 0 ? '-' : '+'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`)).toBe(
            whole,
          );
        },
      ),
    );
  });

  it('reads every year as written, 0000 to 0099 too, with their leap days (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), (y, m) => {
        expect(ms(`${pad(y, 4)}-${pad(m)}-01T10:30Z`)).toBe(
          Date.parse(`${pad(y, 4)}-${pad(m)}-01T10:30:00Z`),
        );
        const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
        expect(ms(`${pad(y, 4)}-02-29`)).toEqual(
          leap ? Date.parse(`${pad(y, 4)}-02-29T00:00:00Z`) : expect.stringMatching(/no such date/),
        );
      }),
    );
  });

  it('refuses every day past the end of its month (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1970, max: 2099 }), fc.integer({ min: 1, max: 12 }), (y, m) => {
        const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
        expect(ms(`${y}-${pad(m)}-${pad(last)}`)).toBe(Date.UTC(y, m - 1, last));
        for (let d = last + 1; d <= 31; d++) expect(ms(`${y}-${pad(m)}-${pad(d)}`)).toMatch(/no such date/);
      }),
    );
  });
});

describe('parseEpoch and parseTimestamp', () => {
  it('tells seconds, milliseconds and microseconds apart by size (property)', () => {
    fc.assert(
      fc.property(instant, (t) => {
        const s = Math.floor(t / 1000);
        expect(parseEpoch(String(s))).toEqual({ ok: true, ms: s * 1000 });
        expect(parseEpoch(String(t))).toEqual({ ok: true, ms: t });
        expect(parseEpoch(String(t * 1000 + 999))).toEqual({ ok: true, ms: t });
        expect(parseTimestamp(` ${t} `)).toEqual({ ok: true, ms: t });
      }),
    );
  });

  it('reads ISO text as ISO, and refuses what is neither', () => {
    expect(parseTimestamp('2023-03-01 00:01:00+00:00')).toEqual({ ok: true, ms: Date.UTC(2023, 2, 1, 0, 1) });
    expect(parseTimestamp('-1700000000')).toMatchObject({ ok: false });
    expect(parseEpoch('1e12')).toMatchObject({ ok: false });
  });

  it('refuses a number past the year 5138 in every unit, which no date could show', () => {
    expect(parseEpoch('99999999999999990')).toEqual({ ok: true, ms: Date.UTC(5138, 10, 16, 9, 46, 39, 999) });
    expect(parseTimestamp('100000000000000000')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/5138/),
    });
    expect(parseTimestamp('9'.repeat(25))).toMatchObject({ ok: false });
  });
});

describe('parseDuration', () => {
  it('reads the units the tools accept; a bare number is seconds', () => {
    const d = (s: string) => {
      const p = parseDuration(s);
      return p.ok ? p.ms : p.reason;
    };
    expect([d('24h'), d('90m'), d('30s'), d('2d'), d('500ms'), d('0'), d('1.5h')]).toEqual([
      86_400_000, 5_400_000, 30_000, 172_800_000, 500, 0, 5_400_000,
    ]);
    expect(d('-1h')).toMatch(/not a duration/);
    expect(d('1w')).toMatch(/not a duration/);
    expect(d(`${'9'.repeat(400)}d`)).toMatch(/longer than any span/);
    expect(d('100000001d')).toMatch(/longer than any span/);
    expect(d('99999999d')).toBe(99_999_999 * 86_400_000);
  });
});
