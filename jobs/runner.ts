/** Runs jobs window by window: one run of a job at a time, each run recorded, missed windows caught up. */
import type { Clock } from '../common/types.ts';
import type { Log } from '../common/log.ts';
import type { RunStore } from './run-store.ts';
import { DbUnavailable } from '../sql/db.ts';
import { nextDueAt, planWindows, validatePolicy, type Window, type WindowPolicy } from './scheduler.ts';

export type JobContext = { window: Window; signal: AbortSignal; log: Log };

/** A job: its name (the key in job_runs), how it cuts time into windows (which says when it is due), and its work. */
export type Job = {
  name: string;
  policy: WindowPolicy;
  /** Process one window; resolves to the number of rows (or objects) it touched. Must be idempotent. */
  run(ctx: JobContext): Promise<{ rows: number }>;
};

export type TickResult = {
  job: string;
  /** busy: a run of this job was already under way; stopped: the runner is shutting down. */
  outcome: 'caught-up' | 'failed' | 'busy' | 'stopped';
  /** Windows run successfully in this tick. */
  ran: number;
  error?: string;
};

export type Runner = {
  tick(job: string): Promise<TickResult>;
  /** Tick every job at once, then each again whenever its next window is due, until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  /** Ask running jobs to stop (their signal aborts) and wait for them. */
  stop(): Promise<void>;
};

/** The message of an error and of its causes, for the `error` column. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && parts.length < 5; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  return parts.join(': caused by: ');
}

/** A failed tick is tried again after this long (or at its next window, when that comes sooner). */
export const RETRY_MS = 60_000;

export function makeRunner(deps: { jobs: Job[]; store: RunStore; clock: Clock; log: Log }): Runner {
  const { store, clock, log } = deps;
  const jobs = new Map<string, Job>();
  for (const job of deps.jobs) {
    if (jobs.has(job.name)) throw new Error(`two jobs are named ${job.name}`);
    validatePolicy(job.name, job.policy);
    jobs.set(job.name, job);
  }
  const abort = new AbortController();
  const running = new Map<string, Promise<TickResult>>();
  let progress: Promise<Map<string, number>> | null = null; // one load, shared by ticks that start together

  /** One window: record 'running', do the work, record the outcome. The error, or null when the work succeeded. */
  async function runWindow(job: Job, window: Window): Promise<string | null> {
    const startedAt = clock.now();
    const base = { job: job.name, window, startedAt };
    const jlog = log.child({ job: job.name, window: [iso(window.start), iso(window.end)] });
    await store.record({ ...base, status: 'running', durationMs: 0, rows: 0, error: '' });
    let outcome: { status: 'ok' | 'failed'; rows: number; error: string };
    let unreachable = false;
    try {
      const { rows } = await job.run({ window, signal: abort.signal, log: jlog });
      outcome = { status: 'ok', rows, error: '' };
    } catch (err) {
      outcome = { status: 'failed', rows: 0, error: describeError(err) };
      unreachable = err instanceof DbUnavailable;
    }
    const durationMs = clock.now() - startedAt;
    try {
      await store.record({ ...base, ...outcome, durationMs });
    } catch (err) {
      // The work is done (or failed) either way; an unrecorded success is simply run again after a restart.
      jlog.error({ err: describeError(err) }, 'could not record the run');
    }
    if (outcome.status === 'ok') {
      jlog.info({ rows: outcome.rows, durationMs }, 'run ok');
      return null;
    }
    // QuestDB away is an expected condition (the run is retried), not a fault of the job.
    if (unreachable) jlog.warn({ error: outcome.error, durationMs }, 'run failed: QuestDB unreachable');
    else jlog.error({ error: outcome.error, durationMs }, 'run failed');
    return outcome.error;
  }

  async function runTick(job: Job): Promise<TickResult> {
    let ran = 0;
    const result = (outcome: TickResult['outcome'], error?: string): TickResult =>
      error === undefined ? { job: job.name, outcome, ran } : { job: job.name, outcome, ran, error };
    try {
      progress ??= store.doneUntil();
      const done = await progress.catch((err: unknown) => {
        progress = null; // the next tick loads it again
        throw err;
      });
      for (;;) {
        if (abort.signal.aborted) return result('stopped');
        const plan = planWindows(job.policy, done.get(job.name) ?? null, clock.now());
        if (plan.skipped) {
          const s = plan.skipped;
          log.warn({ job: job.name, from: iso(s.start), to: iso(s.end) }, 'giving up missed windows');
          const { catchUp } = job.policy;
          const error =
            catchUp === 'latest' ? 'superseded by a newer window' : 'older than the catch-up bound';
          const run = { job: job.name, window: s, startedAt: clock.now(), durationMs: 0, rows: 0, error };
          await store.record({ ...run, status: 'skipped' });
          done.set(job.name, s.end);
        }
        if (plan.windows.length === 0) return result('caught-up');
        for (const window of plan.windows) {
          if (abort.signal.aborted) return result('stopped');
          const error = await runWindow(job, window);
          if (error !== null) return result('failed', error);
          done.set(job.name, window.end);
          ran++;
        }
      }
    } catch (err) {
      // The store is unreachable (QuestDB down): nothing advanced; the next tick tries again.
      const error = describeError(err);
      if (err instanceof DbUnavailable)
        log.warn({ job: job.name, error }, 'tick failed: QuestDB unreachable');
      else log.error({ job: job.name, error }, 'tick failed');
      return result('failed', error);
    }
  }

  function tick(name: string): Promise<TickResult> {
    const job = jobs.get(name);
    if (!job) return Promise.reject(new Error(`no job named ${name}`));
    if (abort.signal.aborted) return Promise.resolve({ job: name, outcome: 'stopped', ran: 0 });
    if (running.has(name)) return Promise.resolve({ job: name, outcome: 'busy', ran: 0 });
    const p = runTick(job).finally(() => running.delete(name));
    running.set(name, p);
    return p;
  }

  return {
    tick,
    async run(signal) {
      const due = new Map<string, number>();
      const fire = (job: Job) => {
        due.set(job.name, nextDueAt(job.policy, clock.now()));
        void tick(job.name).then((r) => {
          const now = clock.now();
          if (r.outcome === 'failed') due.set(job.name, Math.min(nextDueAt(job.policy, now), now + RETRY_MS));
        });
      };
      for (const job of jobs.values()) fire(job);
      while (!signal.aborted) {
        // Wake at least every RETRY_MS, so a retry set after this sleep began is not missed.
        const wait = Math.min(RETRY_MS, Math.min(...due.values()) - clock.now());
        if (wait > 0) await clock.sleep(wait, signal);
        for (const job of jobs.values())
          if (!signal.aborted && (due.get(job.name) ?? 0) <= clock.now()) fire(job);
      }
    },
    async stop() {
      abort.abort();
      await Promise.allSettled([...running.values()]);
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
