/** One scheduler per QuestDB on a host (a temp-folder lock file), so runs of a job never overlap. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../common/config.ts';
import { commandLine, isAlive, takePidLock, type PidLock } from '../common/pidlock.ts';

type LockConfig = Pick<Config, 'QUESTDB_HOST' | 'QUESTDB_HTTP_PORT'>;

export function schedulerLockPath(config: LockConfig, dir = tmpdir()): string {
  const host = config.QUESTDB_HOST.replace(/[^A-Za-z0-9.-]/g, '_');
  return join(dir, `btc-rates-jobs-${host}-${config.QUESTDB_HTTP_PORT}.pid`);
}

/** A live process that is a scheduler (where its command line can be read): not a pid reused since. */
function isScheduler(pid: number): boolean {
  return isAlive(pid) && (commandLine(pid) ?? 'jobs/main').includes('jobs/main');
}

/** Take the scheduler lock, or throw naming the scheduler that holds it. */
export function takeSchedulerLock(config: LockConfig, dir?: string): PidLock {
  const path = schedulerLockPath(config, dir);
  const db = `QuestDB ${config.QUESTDB_HOST}:${config.QUESTDB_HTTP_PORT}`;
  return takePidLock(
    path,
    {
      busy: (pid) =>
        `another jobs scheduler (pid ${pid}) already runs against ${db}; runs of a job must not overlap, so ` +
        `this one will not start (lock ${path})`,
      foreign: (owner) =>
        `the jobs lock ${path} names ${owner}, a process of another host; not taken over from here ` +
        `(delete the file if that scheduler is gone)`,
    },
    isScheduler,
  );
}
