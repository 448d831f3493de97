/**
 * One scheduler per QuestDB: the real jobs process refuses to start while another runs, takes over a lock its
 * dead owner left, and releases its own on SIGTERM. The schedulers point at a port nothing listens on: their
 * jobs fail to connect, which does not matter here, and the refusal comes before any connection.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { schedulerLockPath, takeSchedulerLock } from '../../jobs/lock.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A port per test run, so a developer's own stack (and its lock) is never touched. */
const port = 40_000 + (process.pid % 20_000);
const config = { QUESTDB_HOST: '127.0.0.1', QUESTDB_HTTP_PORT: port };

function startJobs() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'jobs/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      QUESTDB_HOST: '127.0.0.1',
      QUESTDB_HTTP_PORT: String(port),
      QUESTDB_PG_PORT: String(port + 1),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output: () => text, exited };
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('schedulerLockPath', () => {
  it('is one file per QuestDB, named so any host string is a safe file name', () => {
    const a = schedulerLockPath({ QUESTDB_HOST: 'db.example', QUESTDB_HTTP_PORT: 9000 }, '/x');
    expect(a).toBe('/x/btc-rates-jobs-db.example-9000.pid');
    expect(schedulerLockPath({ QUESTDB_HOST: 'db.example', QUESTDB_HTTP_PORT: 9001 }, '/x')).not.toBe(a);
    expect(schedulerLockPath({ QUESTDB_HOST: '../../etc/x:y', QUESTDB_HTTP_PORT: 1 }, '/x')).toBe(
      '/x/btc-rates-jobs-.._.._etc_x_y-1.pid',
    );
  });

  it('takes over a lock naming a live process that is no scheduler (a pid reused since); release leaves another’s lock alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-lock-'));
    const path = schedulerLockPath(config, dir);
    writeFileSync(path, `${hostname()} ${process.ppid}`); // alive, but not jobs/main.ts
    const held = takeSchedulerLock(config, dir);
    expect(readFileSync(path, 'utf8')).toBe(`${hostname()} ${process.pid}`);
    writeFileSync(path, `${hostname()} ${process.ppid}`);
    held.release();
    expect(readFileSync(path, 'utf8')).toBe(`${hostname()} ${process.ppid}`);
  });
});

describe('jobs/main.ts', () => {
  it('will not start beside a running scheduler, naming it, and releases its lock on SIGTERM', async () => {
    const path = schedulerLockPath(config);
    const first = startJobs();
    try {
      await until(() => first.output().includes('jobs scheduled'), 30_000, 'the scheduler to start');
      expect(readFileSync(path, 'utf8')).toBe(`${hostname()} ${first.child.pid}`);
      const second = startJobs();
      expect(await second.exited, second.output()).toBe(1);
      expect(second.output()).toContain(`another jobs scheduler (pid ${first.child.pid}) already runs`);
      expect(second.output()).not.toContain('jobs scheduled');
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
    expect(existsSync(path), first.output()).toBe(false);
  }, 60_000);

  it('takes over the lock of a scheduler that was killed outright', async () => {
    const path = schedulerLockPath(config);
    writeFileSync(path, `${hostname()} 2147483646`); // no such process
    const next = startJobs();
    try {
      await until(() => next.output().includes('jobs scheduled'), 30_000, 'the scheduler to start');
      expect(readFileSync(path, 'utf8')).toBe(`${hostname()} ${next.child.pid}`);
    } finally {
      next.child.kill('SIGTERM');
      await next.exited;
    }
    expect(existsSync(path), next.output()).toBe(false);
  }, 60_000);
});
