/** Every time a person types is read here: ISO 8601 (UTC unless zoned); impossible times refused. Pure. */

/** 2009-01-03, the first Bitcoin block: no rate, quote or range starts earlier. */
export const GENESIS_MS = Date.UTC(2009, 0, 3);
export const BEFORE_GENESIS = 'before 2009-01-03, the first Bitcoin block';

export type Parsed = { ok: true; ms: number } | { ok: false; reason: string };

const ok = (ms: number): Parsed => ({ ok: true, ms });
const no = (reason: string): Parsed => ({ ok: false, reason });

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const MONTHS = 'January February March April May June July August September October November December'.split(
  ' ',
);

// Date.UTC reads years 0 to 99 as 1900 to 1999: dates are taken 400 years on (the calendar repeats) and moved back.
const CYCLE_MS = 146_097 * 86_400_000;
const daysIn = (year: number, month: number) => new Date(Date.UTC(year + 400, month, 0)).getUTCDate();

/** An ISO 8601 date (midnight UTC) or date and time; seconds, fractions (kept to the millisecond) and zone optional. */
export function parseIsoTime(text: string): Parsed {
  const m = ISO.exec(text.trim());
  if (!m) return no('not an ISO 8601 date or time (such as 2031-01-05 or 2031-01-05T10:30Z)');
  const [y, mo, d, h = 0, mi = 0, s = 0] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as number[];
  const [year, month, day] = [y!, mo!, d!];
  if (month < 1 || month > 12) return no(`no month ${month}`);
  if (day < 1 || day > daysIn(year, month))
    return no(`no such date: ${MONTHS[month - 1]} ${year} has ${daysIn(year, month)} days`);
  if (h > 23 || mi > 59 || s > 59) return no(`no such time of day ${m[4]}:${m[5]}${m[6] ? `:${m[6]}` : ''}`);
  const [oh, om] = [Number(m[10] ?? 0), Number(m[11] ?? 0)];
  if (oh > 18 || om > 59) return no(`no such UTC offset ${m[9]}${m[10]}${m[11] ? `:${m[11]}` : ''}`);
  const offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  const millis = Number(`${m[7] ?? ''}000`.slice(0, 3));
  return ok(Date.UTC(year + 400, month - 1, day, h, mi, s, millis) - CYCLE_MS - offset);
}

/** Unix time as a person's file holds it: seconds, milliseconds or microseconds, told apart by size. */
export function parseEpoch(text: string): Parsed {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t))
    return no('not a Unix time (a number of seconds, milliseconds or microseconds)');
  const n = Number(t);
  if (n >= 1e17) return no('past the year 5138 in seconds, milliseconds and microseconds alike');
  // From 1e11 on a value is milliseconds (in seconds it would be the year 5138), from 1e14 microseconds.
  return ok(Math.floor(n < 1e11 ? n * 1000 : n < 1e14 ? n : n / 1000));
}

/** A CSV cell's time: Unix time when it is a plain number, ISO 8601 otherwise. */
export function parseTimestamp(text: string): Parsed {
  return /^\s*\d+(\.\d+)?\s*$/.test(text) ? parseEpoch(text) : parseIsoTime(text);
}

const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A relative span: `90m`, `24h`, `2d`, `30s`, `500ms`, `0` (a bare number is seconds). */
export function parseDuration(text: string): Parsed {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return no('not a duration such as 90m, 24h or 2d');
  const ms = Math.round(Number(m[1]) * UNITS[(m[2] ?? 's') as keyof typeof UNITS]);
  return ms <= 8.64e15 ? ok(ms) : no('longer than any span a date can hold (273,790 years)');
}

/** How a refused value is reported, naming the argument and what was typed: `--from "2031-02-30": no such date ...`. */
export function describeRefusal(name: string, text: string, reason: string): string {
  return `${name} ${JSON.stringify(text)}: ${reason}`;
}
