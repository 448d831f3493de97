/**
 * The jobs service: one process runs every registered job on its node-cron schedule (UTC). At start it catches
 * up what it missed while down (each job's progress is read back from `job_runs`); ticks of a job that is still
 * running are skipped, not queued; a second scheduler against the same QuestDB on this host refuses to start
 * (lock.ts), so runs never overlap across processes either. SIGINT/SIGTERM stop the schedules, let running jobs
 * finish (their signal aborts), then close the database pool; the lock goes at exit.
 */
import { schedule, validate, type ScheduledTask } from 'node-cron';
import { clockFromConfig } from '../common/clock.ts';
import { loadConfigOrExit } from '../common/config.ts';
import { makeLogger } from '../common/log.ts';
import { makeDb } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import { takeSchedulerLock } from './lock.ts';
import { makeJobs } from './registry.ts';
import { makeRunStore } from './run-store.ts';
import { makeRunner } from './runner.ts';

const config = loadConfigOrExit();
const log = makeLogger('jobs', config.LOG_LEVEL);
try {
  const lock = takeSchedulerLock(config);
  // Released however the process exits (after SIGINT/SIGTERM, or a crash); one killed outright leaves it to be
  // taken over by the next scheduler.
  process.on('exit', () => lock.release());
} catch (err) {
  log.error((err as Error).message);
  process.exit(1);
}
const clock = clockFromConfig(config);
const db = makeDb(config, 2);
const ilp = await makeIlp(config, { retryTimeoutMs: 5_000 });
const jobs = makeJobs({ db, ilp, clock, log, config });
for (const job of jobs)
  if (!validate(job.schedule)) throw new Error(`job ${job.name}: invalid cron expression "${job.schedule}"`);
const runner = makeRunner({ jobs, store: makeRunStore(db), clock, log });

const tick = (name: string) =>
  void runner.tick(name).then((r) => {
    if (r.outcome === 'busy') log.debug({ job: name }, 'still running: tick skipped');
  });

// On an accelerated clock (tests, the soak) cron's wall-clock schedule means nothing: every job is ticked once
// per simulated minute instead, and plans its due windows from the simulated time as usual.
const accelerated = config.CLOCK_SPEED !== 1;
const tasks: ScheduledTask[] = accelerated
  ? []
  : jobs.map((job) => schedule(job.schedule, () => tick(job.name), { name: job.name, timezone: 'Etc/UTC' }));
const simTimer = accelerated
  ? setInterval(() => jobs.forEach((j) => tick(j.name)), 60_000 / config.CLOCK_SPEED)
  : null;
log.info({ jobs: jobs.map((j) => `${j.name} (${j.schedule})`) }, 'jobs scheduled');
// Catch up at once rather than at the first cron tick.
for (const job of jobs) tick(job.name);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping: schedules first, then running jobs, then the database pool');
  if (simTimer) clearInterval(simTimer);
  for (const t of tasks) await t.stop();
  await runner.stop();
  await ilp.close().catch(() => {});
  await db.end();
  for (const t of tasks) await t.destroy();
  log.info('stopped');
}
for (const s of ['SIGINT', 'SIGTERM'] as const)
  process.on(s, () => {
    shutdown(s).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
