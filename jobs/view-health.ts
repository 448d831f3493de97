/** View health: refresh a view behind its base (INCREMENTAL) or invalid (FULL), then wait for it. */
import type { Clock } from '../common/types.ts';
import type { Db } from '../sql/db.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import type { Job, JobContext } from './runner.ts';

const Q = loadQueries('../sql/jobs.sql', import.meta.url);

/** A view and its two refresh statements (the view name cannot be a bind parameter). */
export type ViewSpec = { name: string; refreshIncremental: string; refreshFull: string };

/** The project's views, base first: refreshing rates_1h feeds rates_1d, which is checked after it. */
const view = (name: string, query: string): ViewSpec => ({
  name,
  refreshIncremental: pick(Q, `${query}Incremental`),
  refreshFull: pick(Q, `${query}Full`),
});
export const RATE_VIEWS: ViewSpec[] = [
  view('rates_1h', 'refreshRates1h'),
  view('rates_1d', 'refreshRates1d'),
];

export type ViewState = {
  name: string;
  status: string;
  /** The base table transaction the view has been refreshed up to, and the one the base has reached. */
  refreshTxn: number;
  baseTxn: number;
  lastRefreshFinish: number | null;
  invalidationReason: string | null;
};

/** current; catching-up (behind, but refreshed or first seen behind within the grace); stale; invalid; missing. */
export type Verdict = 'current' | 'catching-up' | 'stale' | 'invalid' | 'missing';

/** Judge one view's state; `seen`: when this process first saw it behind, if it has. Pure. */
export function judgeView(s: ViewState | undefined, now: number, grace: number, seen = -Infinity): Verdict {
  if (!s) return 'missing';
  if (s.status === 'invalid') return 'invalid';
  if (s.refreshTxn >= s.baseTxn) return 'current';
  return now - Math.max(s.lastRefreshFinish ?? -Infinity, seen) < grace ? 'catching-up' : 'stale';
}

type StateRow = {
  view_name: string;
  view_status: string;
  refresh_base_table_txn: string | number;
  base_table_txn: string | number;
  last_refresh_finish_timestamp: Date | null;
  invalidation_reason: string | null;
};

/** Every materialized view's state, by name. */
export async function readViewStates(db: Db): Promise<Map<string, ViewState>> {
  const rows = await db.query<StateRow>(pick(Q, 'viewStates'));
  return new Map(
    rows.map((r) => [
      r.view_name,
      {
        name: r.view_name,
        status: r.view_status,
        refreshTxn: Number(r.refresh_base_table_txn),
        baseTxn: Number(r.base_table_txn),
        lastRefreshFinish: r.last_refresh_finish_timestamp?.getTime() ?? null,
        invalidationReason: r.invalidation_reason || null,
      },
    ]),
  );
}

export type ViewHealthOptions = {
  db: Db;
  clock: Clock;
  views?: ViewSpec[];
  /** How long a view may lag its base with no refresh finishing before it counts as stale. */
  graceMs?: number;
  /** How long to wait for a requested refresh to catch up before the run fails. */
  settleTimeoutMs?: number;
  pollMs?: number;
};

/** The view-health job's work: check every view in order, refresh those that need it. Rows = views refreshed. */
export function makeViewHealth(opts: ViewHealthOptions) {
  const { db, clock, views = RATE_VIEWS, graceMs = 120_000, settleTimeoutMs = 120_000, pollMs = 500 } = opts;

  async function settle(view: ViewSpec, target: number, signal: AbortSignal): Promise<ViewState> {
    const deadline = clock.now() + settleTimeoutMs;
    for (;;) {
      const s = (await readViewStates(db)).get(view.name);
      if (s && s.status !== 'invalid' && s.refreshTxn >= target) return s;
      if (clock.now() >= deadline || signal.aborted)
        throw new Error(
          `${view.name} did not catch up with base transaction ${target} within ${settleTimeoutMs} ms ` +
            `(status ${s?.status ?? 'missing'}, refreshed to ${s?.refreshTxn ?? '?'})`,
        );
      await clock.sleep(pollMs, signal);
    }
  }

  // After a restart the last refresh is as old as the downtime: QuestDB gets its grace from the first sighting.
  const seenBehind = new Map<string, number>();
  return async ({ signal, log }: Pick<JobContext, 'signal' | 'log'>) => {
    const problems: string[] = [];
    let refreshed = 0;
    for (const view of views) {
      // Read afresh for each view: refreshing one can invalidate or advance the views built on it.
      const state = (await readViewStates(db)).get(view.name);
      const now = clock.now();
      const verdict = judgeView(state, now, graceMs, seenBehind.get(view.name) ?? now);
      if (verdict !== 'catching-up' && verdict !== 'stale') seenBehind.delete(view.name);
      else if (!seenBehind.has(view.name)) seenBehind.set(view.name, now);
      if (!state || verdict === 'missing') {
        problems.push(`${view.name} does not exist (are the migrations applied?)`);
        continue;
      }
      if (verdict === 'current' || verdict === 'catching-up') {
        log.debug({ view: view.name, verdict, lag: state.baseTxn - state.refreshTxn }, 'view ok');
        continue;
      }
      const { refreshTxn, baseTxn, invalidationReason: reason } = state;
      log.warn(
        { view: view.name, verdict, refreshTxn, baseTxn, reason },
        verdict === 'invalid' ? 'view invalid: full refresh' : 'view behind its base: incremental refresh',
      );
      try {
        await db.query(verdict === 'invalid' ? view.refreshFull : view.refreshIncremental);
        const after = await settle(view, state.baseTxn, signal);
        log.info({ view: view.name, refreshTxn: after.refreshTxn }, 'view refreshed');
        refreshed++;
      } catch (err) {
        problems.push(`${view.name}: ${(err as Error).message}`);
      }
    }
    if (problems.length) throw new Error(`view health: ${problems.join('; ')}`);
    return { rows: refreshed };
  };
}

/** The registered view-health job: every 5 minutes, only the newest window matters. */
export function makeViewHealthJob(opts: ViewHealthOptions): Job {
  const check = makeViewHealth(opts);
  return {
    name: 'view-health',
    policy: { windowMs: 5 * 60_000, delayMs: 0, catchUp: 'latest', maxLookbackMs: 5 * 60_000, maxBatch: 1 },
    run: (ctx) => check(ctx),
  };
}
