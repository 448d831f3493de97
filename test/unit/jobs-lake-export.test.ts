import { describe, expect, it } from 'vitest';
import { makeLogger } from '../../common/log.ts';
import { makeLakeExport, makeLakeExportJob, RECHECK_DAYS } from '../../jobs/lake-export.ts';
import { nextDueAt, planWindows } from '../../jobs/scheduler.ts';
import type { DayRef, Exporter } from '../../lake/export.ts';
import { DAY_MS, dayOf, type LakeTable } from '../../lake/layout.ts';
import type { Db } from '../../sql/db.ts';
import { waitForWal } from '../../sql/wal.ts';

const t = (s: string) => Date.parse(s);
// waitForWal reads wal_tables(); no rows means nothing to wait for.
const db: Db = { query: async () => [], end: async () => {} };
const log = makeLogger('test', 'silent');

function fakeExporter(rowsOf: (table: LakeTable, day: string) => number, stale: DayRef[] = []) {
  const calls: string[] = [];
  const asked: [string, string][] = [];
  const exporter: Exporter = {
    async exportDay(table, dayStart) {
      const day = dayOf(dayStart);
      calls.push(`${table} ${day}`);
      const rows = rowsOf(table, day);
      return {
        table,
        day,
        rows,
        key: rows ? `curated/${table}/date=${day}/part-0.parquet` : null,
        bytes: rows * 10,
      };
    },
    async staleDays(from, to) {
      asked.push([dayOf(from), dayOf(to)]);
      return stale;
    },
  };
  return { exporter, calls, asked };
}

describe('waitForWal', () => {
  it('throws, naming the table, when QuestDB has not applied what it acknowledged by the deadline', async () => {
    const behind: Db = {
      query: async <R extends object>() =>
        [{ name: 'rates', suspended: false, writerTxn: 5, sequencerTxn: 9 }] as unknown as R[],
      end: async () => {},
    };
    await expect(waitForWal(behind, ['rates', 'polls'], 0)).rejects.toThrow(
      'QuestDB has not applied writes to rates after 0 s',
    );
    await expect(waitForWal(db, ['rates'], 0)).resolves.toBeUndefined();
  });
});

describe('lake-export job', () => {
  it("exports its window's day of every table, then re-exports the days the exporter finds changed", async () => {
    const day = t('2031-01-10T00:00:00Z');
    const f = fakeExporter(
      (table, d) => (table === 'polls' && d === '2031-01-10' ? 0 : 100),
      [{ table: 'rates', dayStart: t('2031-01-05T00:00:00Z') }],
    );
    const run = makeLakeExport({ db, exporter: f.exporter });
    const r = await run({
      window: { start: day, end: day + DAY_MS },
      signal: new AbortController().signal,
      log,
    });
    expect(f.calls).toEqual(['rates 2031-01-10', 'polls 2031-01-10', 'rates 2031-01-05']);
    expect(f.asked).toEqual([[dayOf(day - RECHECK_DAYS * DAY_MS), '2031-01-10']]);
    expect(r).toEqual({ rows: 200 }); // the empty polls day counts 0 rows and writes nothing
  });

  it('stops re-exporting when asked to stop', async () => {
    const day = t('2031-01-10T00:00:00Z');
    const f = fakeExporter(
      () => 1,
      [
        { table: 'rates', dayStart: t('2031-01-05T00:00:00Z') },
        { table: 'rates', dayStart: t('2031-01-06T00:00:00Z') },
      ],
    );
    const abort = new AbortController();
    abort.abort();
    await makeLakeExport({ db, exporter: f.exporter })({
      window: { start: day, end: day + DAY_MS },
      signal: abort.signal,
      log,
    });
    expect(f.calls).toEqual(['rates 2031-01-10', 'polls 2031-01-10']);
  });

  it('is due an hour after UTC midnight and catches up missed days one by one, oldest first', () => {
    const { policy } = makeLakeExportJob({ db, exporter: fakeExporter(() => 0).exporter });
    expect(new Date(nextDueAt(policy, t('2031-01-10T00:30:00Z'))).toISOString()).toBe(
      '2031-01-10T01:00:00.000Z',
    );
    expect(new Date(nextDueAt(policy, t('2031-01-10T01:00:00Z'))).toISOString()).toBe(
      '2031-01-11T01:00:00.000Z',
    );
    // Done through 2031-01-07; back at 2031-01-10 00:59 (day 9 not yet due), then at 01:00.
    const done = t('2031-01-07T00:00:00Z');
    expect(planWindows(policy, done, t('2031-01-10T00:59:00Z')).windows.map((w) => dayOf(w.start))).toEqual([
      '2031-01-07',
      '2031-01-08',
    ]);
    expect(planWindows(policy, done, t('2031-01-10T01:00:00Z')).windows.map((w) => dayOf(w.start))).toEqual([
      '2031-01-07',
      '2031-01-08',
      '2031-01-09',
    ]);
    // Down for two months: older days are given up as one skipped span (the backfill exports them).
    const plan = planWindows(policy, t('2030-11-01T00:00:00Z'), t('2031-01-10T01:00:00Z'));
    expect(plan.skipped && dayOf(plan.skipped.end)).toBe('2030-12-11');
    expect(plan.windows).toHaveLength(7);
  });
});
