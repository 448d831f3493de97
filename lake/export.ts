/**
 * Exports one UTC day of one table to the curated lake: QuestDB writes the Parquet itself (HTTP /exp,
 * fmt=parquet), the file goes to a staging key, is copied to its final key and the staging copy deleted, so a
 * reader never sees half a day. Re-exporting a day replaces its file; a day without rows writes nothing (and
 * removes a file an earlier export left). Every export is recorded in `lake_exports`, which is also how changed
 * days are found: a day whose row count differs from its last export's is stale.
 */
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../common/config.ts';
import type { Clock } from '../common/types.ts';
import type { Db } from '../sql/db.ts';
import type { Ilp } from '../sql/ilp.ts';
import { TABLES, writeRows } from '../sql/tables.ts';
import { fillSlots, loadQueries, pick } from '../sql/loader.ts';
import { DAY_MS, dayOf, isWholeParquet, LAKE_TABLES, partKey, stagingKey, type LakeTable } from './layout.ts';

const Q = loadQueries('../sql/lake.sql', import.meta.url);
const EXPORT: Record<LakeTable, string> = { rates: pick(Q, 'exportRates'), polls: pick(Q, 'exportPolls') };
const COUNTS: Record<LakeTable, string> = {
  rates: pick(Q, 'dayCountsRates'),
  polls: pick(Q, 'dayCountsPolls'),
};
const PARTITIONS: Record<LakeTable, string> = {
  rates: pick(Q, 'partitionRowsRates'),
  polls: pick(Q, 'partitionRowsPolls'),
};
const iso = (ms: number) => new Date(ms).toISOString();

export type DayExport = { table: LakeTable; day: string; rows: number; key: string | null; bytes: number };
export type DayRef = { table: LakeTable; dayStart: number };

export type Exporter = {
  /** Export (or re-export) one day of one table; resolves to what was written. */
  exportDay(table: LakeTable, dayStart: number, signal?: AbortSignal): Promise<DayExport>;
  /**
   * Days whose row count differs from their last export's (at any age: a repaired gap, a replay of an old day),
   * and days in [from, to) that have rows but were never exported. Oldest first, per table.
   */
  staleDays(from: number, to: number): Promise<DayRef[]>;
};

export type ExporterDeps = {
  db: Db;
  ilp: Ilp;
  s3: S3Client;
  clock: Clock;
  config: Pick<Config, 'QUESTDB_HOST' | 'QUESTDB_HTTP_PORT' | 'RAW_BUCKET'>;
};

export function makeExporter({ db, ilp, s3, clock, config }: ExporterDeps): Exporter {
  const bucket = config.RAW_BUCKET;

  async function dayCounts(table: LakeTable, from: number, to: number): Promise<Map<number, number>> {
    const rows = await db.query<{ ts: Date; n: string | number }>(COUNTS[table], [iso(from), iso(to)]);
    return new Map(rows.map((r) => [r.ts.getTime(), Number(r.n)]));
  }

  /** Rows per UTC day over the table's whole history, from its partitions' metadata. */
  async function partitionCounts(table: LakeTable): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const p of await db.query<{ name: string; numRows: string | number }>(PARTITIONS[table])) {
      const day = /^\d{4}-\d{2}-\d{2}/.exec(p.name)?.[0];
      if (!day)
        throw new Error(`${table} partition "${p.name}" is not a day: the lake expects PARTITION BY DAY`);
      const start = Date.parse(`${day}T00:00:00Z`);
      out.set(start, (out.get(start) ?? 0) + Number(p.numRows));
    }
    return out;
  }

  /** The day as Parquet, written by QuestDB; fails unless the answer is a whole Parquet file. */
  async function fetchParquet(table: LakeTable, dayStart: number, signal?: AbortSignal): Promise<Uint8Array> {
    const sql = fillSlots(EXPORT[table], { from_us: dayStart * 1000, to_us: (dayStart + DAY_MS) * 1000 });
    const url = `http://${config.QUESTDB_HOST}:${config.QUESTDB_HTTP_PORT}/exp?fmt=parquet&query=${encodeURIComponent(sql)}`;
    const what = `Parquet export of ${table} ${dayOf(dayStart)} from QuestDB`;
    let res: Response;
    try {
      res = await fetch(url, signal ? { signal } : {});
    } catch (err) {
      throw new Error(`${what}: QuestDB HTTP is not reachable`, { cause: err });
    }
    const body = new Uint8Array(await res.arrayBuffer());
    if (!res.ok)
      throw new Error(`${what}: HTTP ${res.status}: ${new TextDecoder().decode(body).slice(0, 300)}`);
    if (!isWholeParquet(body))
      throw new Error(`${what}: the answer (${body.length} bytes) is not a whole Parquet file`);
    return body;
  }

  async function record(e: DayExport, dayStart: number): Promise<void> {
    const row = {
      ts: dayStart,
      table: e.table,
      rows: e.rows,
      key: e.key ?? '',
      bytes: e.bytes,
      exportedAt: clock.now(),
    };
    await ilp.write((s) => writeRows(s, TABLES.lakeExports, [row]));
  }

  return {
    async exportDay(table, dayStart, signal) {
      const day = dayOf(dayStart);
      const key = partKey(table, dayStart);
      const rows = (await dayCounts(table, dayStart, dayStart + DAY_MS)).get(dayStart) ?? 0;
      if (rows === 0) {
        // Nothing to write; a file from an earlier export of rows since removed must not outlive them.
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        const e: DayExport = { table, day, rows: 0, key: null, bytes: 0 };
        await record(e, dayStart);
        return e;
      }
      const body = await fetchParquet(table, dayStart, signal);
      const staging = stagingKey(table, dayStart, `${clock.now()}-${Math.random().toString(36).slice(2, 8)}`);
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: staging,
          Body: body,
          ContentType: 'application/vnd.apache.parquet',
        }),
      );
      try {
        // The swap: one server-side copy makes the whole file visible at its key at once.
        await s3.send(
          new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${staging}` }),
        );
      } finally {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: staging }));
      }
      const e: DayExport = { table, day, rows, key, bytes: body.length };
      await record(e, dayStart);
      return e;
    },

    async staleDays(from, to) {
      const recorded = new Map<string, number>();
      for (const r of await db.query<{ ts: Date; tbl: string; rows_exported: string | number }>(
        pick(Q, 'exportedDays'),
      ))
        recorded.set(`${r.tbl}|${r.ts.getTime()}`, Number(r.rows_exported));
      const out: DayRef[] = [];
      for (const table of LAKE_TABLES) {
        const counts = await partitionCounts(table);
        const days = new Set([...counts.keys()].filter((d) => d >= from && d < to));
        for (const k of recorded.keys()) if (k.startsWith(`${table}|`)) days.add(Number(k.split('|')[1]));
        for (const dayStart of [...days].sort((a, b) => a - b)) {
          const was = recorded.get(`${table}|${dayStart}`);
          const now = counts.get(dayStart) ?? 0;
          if (was === undefined ? now > 0 : was !== now) out.push({ table, dayStart });
        }
      }
      return out;
    },
  };
}

/**
 * Mark days of the lake as changed, for the export job to write again: a rewrite that keeps a day's row count
 * (a forced replay) is invisible to the count comparison of `staleDays`, so it records a count no day can have.
 */
export async function markChanged(ilp: Ilp, dayStarts: number[], now: number): Promise<void> {
  const rows = LAKE_TABLES.flatMap((table) =>
    dayStarts.map((ts) => ({ ts, table, rows: -1, key: '', bytes: 0, exportedAt: now })),
  );
  await ilp.write((s) => writeRows(s, TABLES.lakeExports, rows));
}
