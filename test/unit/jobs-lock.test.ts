/**
 * One scheduler per QuestDB: the real jobs process refuses to start while another holds the lock, takes over a
 * lock its dead owner left, and releases its own on SIGTERM. No job runs against a database here: the port
 * given is one nothing listens on, and the refusal happens before any connection.
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

  it('refuses while a live process holds it, naming it; release leaves another’s lock alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-lock-'));
    const held = takeSchedulerLock(config, dir);
    // A process that is alive (the parent of this test) holding it, as a running scheduler would.
    writeFileSync(schedulerLockPath(config, dir), `${hostname()} ${process.ppid}`);
    expect(() => takeSchedulerLock(config, dir)).toThrow(
      `another jobs scheduler (pid ${process.ppid}) already runs against QuestDB 127.0.0.1:${port}`,
    );
    // Release only removes a lock that is still its own.
    held.release();
    expect(existsSync(schedulerLockPath(config, dir))).toBe(true);
  });
});

describe('jobs/main.ts', () => {
  it('will not start beside a live scheduler, takes over a dead one’s lock and releases its own', async () => {
    const path = schedulerLockPath(config);
    const held = takeSchedulerLock(config); // this test process plays the running scheduler
    try {
      const second = startJobs();
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain(`another jobs scheduler (pid ${process.pid}) already runs`);
      expect(second.output()).not.toContain('jobs scheduled');
    } finally {
      held.release();
    }

    // A scheduler killed outright leaves its lock behind; the next one takes it over.
    writeFileSync(path, `${hostname()} 2147483646`);
    const next = startJobs();
    await until(() => next.output().includes('jobs scheduled'), 30_000, 'the scheduler to start');
    expect(readFileSync(path, 'utf8')).toBe(`${hostname()} ${next.child.pid}`);
    next.child.kill('SIGTERM');
    await next.exited;
    expect(existsSync(path), next.output()).toBe(false);
  }, 60_000);
});
