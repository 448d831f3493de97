/** The jobs service: runs every job when due, one scheduler per QuestDB; a signal lets running jobs end. */
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
  // Released however the process exits; one killed outright leaves it to the next scheduler to take over.
  process.on('exit', () => lock.release());
} catch (err) {
  log.error((err as Error).message);
  process.exit(1);
}
const clock = clockFromConfig(config);
const db = makeDb(config, 2);
const ilp = await makeIlp(config, { retryTimeoutMs: 5_000 });
const jobs = makeJobs({ db, ilp, clock, log, config });
const runner = makeRunner({ jobs, store: makeRunStore(db, ilp), clock, log });
const schedule = new AbortController();
const running = runner.run(schedule.signal);
log.info({ jobs: jobs.map((j) => `${j.name} (every ${j.policy.windowMs / 60_000} min)`) }, 'jobs scheduled');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping: the schedule first, then running jobs, then the database pool');
  schedule.abort();
  await running;
  await runner.stop();
  await ilp.close().catch(() => {});
  await db.end();
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
