/** The `job_runs` table: every run's record, and where each job's catch-up resumes after a restart. */
import type { Db } from '../sql/db.ts';
import type { Ilp } from '../sql/ilp.ts';
import { TABLES, writeRows } from '../sql/tables.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import type { Window } from './scheduler.ts';

const Q = loadQueries('../sql/jobs.sql', import.meta.url);
const DONE_UNTIL = pick(Q, 'doneUntil');

export type RunStatus = 'running' | 'ok' | 'failed' | 'skipped';

/** One row of `job_runs`. `startedAt` identifies the run: recording it again replaces it. */
export type RunRecord = {
  job: string;
  window: Window;
  startedAt: number;
  status: RunStatus;
  durationMs: number;
  rows: number;
  error: string;
};

export type RunStore = {
  /** Per job, the end of the newest window finished or skipped. */
  doneUntil(): Promise<Map<string, number>>;
  record(run: RunRecord): Promise<void>;
};

export function makeRunStore(db: Db, ilp: Ilp): RunStore {
  return {
    async doneUntil() {
      const rows = await db.query<{ job: string; done_until: Date | null }>(DONE_UNTIL);
      return new Map(rows.filter((r) => r.done_until).map((r) => [r.job, (r.done_until as Date).getTime()]));
    },
    record: (r) =>
      ilp.write((s) =>
        writeRows(s, TABLES.jobRuns, [
          {
            ts: r.window.start,
            job: r.job,
            windowEnd: r.window.end,
            startedAt: r.startedAt,
            status: r.status,
            durationMs: r.durationMs,
            rowsTouched: r.rows,
            error: r.error,
          },
        ]),
      ),
  };
}

/** Progress kept in memory only: a service whose windows need no record (the forecaster) resumes from the present. */
export function makeMemoryRunStore(): RunStore {
  const done = new Map<string, number>();
  return {
    doneUntil: async () => new Map(done),
    async record(r) {
      if (r.status === 'ok' || r.status === 'skipped')
        done.set(r.job, Math.max(done.get(r.job) ?? -Infinity, r.window.end));
    },
  };
}
