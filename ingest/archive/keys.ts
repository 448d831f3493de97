/**
 * Firehose names each object `<prefix>YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>` by ARRIVAL time
 * (UTC), up to hours after its minute (spool re-sends): a reader of minutes lists arrivals up to a slack. Pure.
 */
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Arrival never precedes the minute; this lead covers a Firehose clock slightly behind the poller's. */
export const CLOCK_LEAD_MS = 2 * MINUTE_MS;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The key prefix of the hour holding `ms`: `raw/2031/01/05/13/`. */
export function hourPrefix(prefix: string, ms: number): string {
  const d = new Date(ms);
  return `${prefix}${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/`;
}

const HOUR_FOLDER = /^(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\//;

/** The hour (start, epoch ms) of the folder a key is in, or null when it is not in an hour folder under `prefix`. */
export function hourOfKey(prefix: string, key: string): number | null {
  if (!key.startsWith(prefix)) return null;
  const m = HOUR_FOLDER.exec(key.slice(prefix.length));
  if (!m) return null;
  const [y, mo, d, h] = m.slice(1).map(Number) as [number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h);
  // 2031/02/30 is not a folder Firehose writes (Date.UTC would roll it over into March).
  return hourPrefix(prefix, t) === key.slice(0, prefix.length + 14) ? t : null;
}

/** The latest arrival of an envelope of `minute` that is replayed (the end of its minute plus the slack). */
export function arrivalDeadline(minute: number, slackMs: number): number {
  return minute + MINUTE_MS + slackMs;
}

/** The arrival window to list for minutes [from, to). */
export function listingWindow(from: number, to: number, slackMs: number): { from: number; to: number } {
  return { from: from - CLOCK_LEAD_MS, to: arrivalDeadline(to - MINUTE_MS, slackMs) + 1 };
}

const NAME_TIME = /-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[^/]*$/;

/** When an object arrived, from the time in its Firehose name; null when none is there within its hour folder. */
export function arrivalOf(key: string, hourStart: number): number | null {
  const m = NAME_TIME.exec(key);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  return t >= hourStart && t < hourStart + HOUR_MS ? t : null;
}

const MINUTE_FIELD = /"minute":"([^"]{10,40})"/;

/** The minute of an archive line without parsing it, or null: lines outside the range are dropped cheaply. */
export function minuteHint(line: string): number | null {
  const m = MINUTE_FIELD.exec(line.length > 2_000 ? line.slice(0, 2_000) : line);
  if (!m) return null;
  const t = Date.parse(m[1] as string);
  return Number.isFinite(t) ? t : null;
}
