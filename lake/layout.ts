/**
 * Where the curated lake keeps things in the bucket, and the day arithmetic of exports. Pure.
 *
 * curated/<table>/date=YYYY-MM-DD/part-0.parquet   one UTC day of one table, Hive-style partition folder
 * curated/_staging/...                             uploads in progress; no reader lists it (outside every table)
 */

/** The tables exported, in the order they are exported. */
export const LAKE_TABLES = ['rates', 'polls'] as const;
export type LakeTable = (typeof LAKE_TABLES)[number];

export const CURATED_PREFIX = 'curated/';
export const DAY_MS = 86_400_000;

/** YYYY-MM-DD of the UTC day holding `ms`. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The final key of one day of one table. */
export function partKey(table: LakeTable, dayStart: number): string {
  return `${CURATED_PREFIX}${table}/date=${dayOf(dayStart)}/part-0.parquet`;
}

/** A staging key for one upload of that day: unique per attempt, outside the table's prefix. */
export function stagingKey(table: LakeTable, dayStart: number, attempt: string): string {
  return `${CURATED_PREFIX}_staging/${table}/date=${dayOf(dayStart)}/part-0.parquet.${attempt}`;
}

/** The starts of the UTC days in [from, to), `from` aligned down to midnight. */
export function daysIn(from: number, to: number): number[] {
  const out: number[] = [];
  for (let d = Math.floor(from / DAY_MS) * DAY_MS; d < to; d += DAY_MS) out.push(d);
  return out;
}

/** A Parquet file starts and ends with the magic `PAR1`: a cheap check that an answer is a whole file. */
export function isWholeParquet(bytes: Uint8Array): boolean {
  const magic = [0x50, 0x41, 0x52, 0x31];
  const n = bytes.length;
  return n >= 8 && magic.every((b, i) => bytes[i] === b && bytes[n - 4 + i] === b);
}
