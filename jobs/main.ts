/** The jobs service: runs every job when due, one scheduler per QuestDB; a signal lets running jobs end. */
import { isMain, runService } from '../common/cli.ts';
import { clockFromConfig } from '../common/clock.ts';
import type { Config } from '../common/config.ts';
import type { Log } from '../common/log.ts';
import { makeDb } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import { takeSchedulerLock } from './lock.ts';
import { makeJobs } from './registry.ts';
import { makeRunStore } from './run-store.ts';
import { makeRunner } from './runner.ts';

/** Start the scheduler, refused while another holds the lock; stopping ends the schedule, then running jobs. */
export async function startJobs(config: Config, log: Log): Promise<() => Promise<void>> {
  const lock = takeSchedulerLock(config);
  // Released however the process exits; one killed outright leaves it to the next scheduler to take over.
  process.on('exit', () => lock.release());
  const clock = clockFromConfig(config);
  const db = makeDb(config, 2);
  const ilp = await makeIlp(config, { retryTimeoutMs: 5_000 });
  const jobs = makeJobs({ db, ilp, clock, log, config });
  const runner = makeRunner({ jobs, store: makeRunStore(db, ilp), clock, log });
  const schedule = new AbortController();
  const running = runner.run(schedule.signal);
  log.info(
    { jobs: jobs.map((j) => `${j.name} (every ${j.policy.windowMs / 60_000} min)`) },
    'jobs scheduled',
  );
  return async () => {
    schedule.abort();
    await running;
    await runner.stop();
    await ilp.close().catch(() => {});
    await db.end();
  };
}

if (isMain(import.meta.url)) runService('jobs', startJobs);
