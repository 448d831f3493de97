/** The lake export: daily, the ended UTC day to S3 as Parquet, then days changed since or never exported. */
import { waitForWal } from '../sql/wal.ts';
import { DAY_MS, LAKE_TABLES } from '../lake/layout.ts';
import type { Exporter } from '../lake/export.ts';
import type { Db } from '../sql/db.ts';
import type { Job, JobContext } from './runner.ts';

/** How far back before its window a run looks for days with rows never exported. */
export const RECHECK_DAYS = 7;

export type LakeExportDeps = { db: Db; exporter: Exporter };

/** The job's work for one window (one UTC day); resolves to the rows exported. */
export function makeLakeExport({ db, exporter }: LakeExportDeps) {
  return async ({ window, signal, log }: Pick<JobContext, 'window' | 'signal' | 'log'>) => {
    await waitForWal(db, ['rates', 'polls', 'lake_exports']);
    let rows = 0;
    for (const table of LAKE_TABLES) {
      const e = await exporter.exportDay(table, window.start, signal);
      rows += e.rows;
      if (e.key) log.info({ table, day: e.day, rows: e.rows, bytes: e.bytes, key: e.key }, 'day exported');
      else log.info({ table, day: e.day }, 'day has no rows: nothing written');
    }
    for (const d of await exporter.staleDays(window.start - RECHECK_DAYS * DAY_MS, window.start)) {
      if (signal.aborted) break;
      const e = await exporter.exportDay(d.table, d.dayStart, signal);
      rows += e.rows;
      log.info({ table: d.table, day: e.day, rows: e.rows }, 'changed day re-exported');
    }
    return { rows };
  };
}

/** The registered job: daily windows, due an hour after midnight UTC (gap repair runs 20 minutes past). */
export function makeLakeExportJob(deps: LakeExportDeps): Job {
  return {
    name: 'lake-export',
    policy: {
      windowMs: DAY_MS,
      delayMs: 60 * 60_000,
      catchUp: 'each',
      maxLookbackMs: 30 * DAY_MS,
      maxBatch: 7,
    },
    run: makeLakeExport(deps),
  };
}
