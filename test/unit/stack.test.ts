import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { logConf, serverConf } from '../../stack/questdb.ts';
import { formatLogLine } from '../../common/log.ts';
import { acquireLock, AlreadyRunning } from '../../stack/lock.ts';
import { stopPid } from '../../stack/process.ts';
import { isAlive } from '../../common/pidlock.ts';
import { RESTART_MAX_MS, RESTART_MIN_MS, RESTART_STABLE_MS, restartDelay } from '../../stack/services.ts';

describe('local stack pieces', () => {
  it('binds every QuestDB listener to the given host and turns telemetry off', () => {
    const conf = serverConf('127.0.0.1', { http: 1, pg: 2, ilpTcp: 3, health: 4 });
    expect(conf).toContain('http.net.bind.to=127.0.0.1:1');
    expect(conf).toContain('pg.net.bind.to=127.0.0.1:2');
    expect(conf).toContain('line.tcp.net.bind.to=127.0.0.1:3');
    expect(conf).toContain('http.min.net.bind.to=127.0.0.1:4');
    expect(conf).toContain('telemetry.enabled=false');
    expect(conf).toContain('line.udp.enabled=false');
  });

  it('lets idle QuestDB workers sleep soon instead of spinning on a small machine', () => {
    const conf = serverConf('127.0.0.1', { http: 1, pg: 2, ilpTcp: 3, health: 4 });
    for (const pool of ['shared.worker', 'wal.apply.worker'])
      expect(conf).toMatch(new RegExp(`^${pool.replace(/\./g, '\\.')}\\.sleep\\.threshold=50$`, 'm'));
  });

  it("keeps QuestDB's log to errors and up, so its logging thread is not kept spinning by INFO lines", () => {
    const conf = logConf();
    expect(conf).toMatch(/^writers=stdout$/m);
    expect(conf).toMatch(/^w\.stdout\.class=io\.questdb\.log\.LogConsoleWriter$/m);
    expect(conf).toMatch(/^w\.stdout\.level=ERROR$/m);
    expect(conf).not.toMatch(/INFO/);
  });

  it('formats pino lines for the console and passes other lines through', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2024, 0, 1, 12, 34, 56, 789),
      msg: 'spool growing',
      bytes: 12,
      svc: 'poller',
    });
    expect(formatLogLine(line)).toBe('12:34:56.789 WARN  spool growing bytes=12');
    expect(formatLogLine('plain text')).toBe('plain text');
    expect(formatLogLine('{not json')).toBe('{not json');
  });

  it('the run lock refuses a live holder and takes over a dead one, reporting its leftovers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const path = join(dir, 'run.lock');
    const lock = acquireLock(path, () => {});
    lock.update({ questdb: 12345 });
    expect(() => acquireLock(path, () => {})).toThrow(AlreadyRunning);
    lock.release();

    // A lock left by a process that is gone is stale: taken over, its children reported for clean-up.
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => child.once('exit', r));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, JSON.stringify({ pid: child.pid, children: { moto: 999999 } }));
    const stale: unknown[] = [];
    const again = acquireLock(path, (s) => stale.push(s));
    expect(stale).toEqual([{ pid: child.pid, children: { moto: 999999 } }]);
    again.release();
  });
});

describe('stopPid', () => {
  it('stops a process that ignores SIGTERM with SIGKILL after the grace period, and waits until it is gone', async () => {
    const child = spawn(process.execPath, [
      '-e',
      "process.on('SIGTERM', () => {}); setInterval(() => {}, 1e3); console.log('ready')",
    ]);
    await new Promise((r) => child.stdout.once('data', r)); // its SIGTERM handler is in place
    const exited = new Promise((r) => child.once('exit', (_code, signal) => r(signal)));
    await stopPid(child.pid!, 300);
    expect(await exited).toBe('SIGKILL');
    expect(isAlive(child.pid!)).toBe(false);
    await stopPid(child.pid!, 300); // gone already: nothing to do, no error
  });

  it('gives up with an error on a process that outlives SIGKILL, instead of waiting forever', async () => {
    // A zombie: exited, never reaped by its parent (Python, which never waits; a shell may), so it still "exists".
    const script =
      'import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(60)';
    const parent = spawn('python3', ['-c', script]);
    const zombie = Number(
      await new Promise<string>((r) => parent.stdout.once('data', (d: Buffer) => r(String(d)))),
    );
    try {
      await expect(stopPid(zombie, 100)).rejects.toThrow(`pid ${zombie} outlived SIGKILL`);
    } finally {
      parent.kill('SIGKILL');
    }
  }, 15_000);
});

describe('restartDelay', () => {
  it('backs a crash loop off to the maximum and starts over after a run that lasted', () => {
    let delay: number | null = null;
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) seen.push((delay = restartDelay(delay, 300)));
    expect(seen).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(Math.max(...seen)).toBe(RESTART_MAX_MS);
    expect(restartDelay(delay, RESTART_STABLE_MS)).toBe(RESTART_MIN_MS);
    expect(restartDelay(delay, RESTART_STABLE_MS - 1)).toBe(RESTART_MAX_MS);
    expect(restartDelay(null, 10 * RESTART_STABLE_MS)).toBe(RESTART_MIN_MS);
  });
});
