/**
 * `npm start` end to end, on a stack folder and ports of its own: it comes up with the schema, a second start is
 * refused while it runs, and so is a start on a port another program holds; Ctrl-C (SIGINT to the supervisor) or
 * a closed output leaves no java or python process behind, and a start after a crash stops what the crashed run
 * left before it starts anew.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../common/pidlock.ts';
import type { LockState } from '../../stack/lock.ts';
import { questdbJarPath } from '../../stack/questdb.ts';
import { TEST_PORT_OFFSET, waitFor } from './stack-env.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const shared = resolve(ROOT, '.stack');
mkdirSync(resolve(shared, 'test'), { recursive: true });
const stackDir = mkdtempSync(resolve(shared, 'test', 'supervisor-'));
// Reuse the installs the global setup made (jar and virtualenv) so this test does not download them again.
mkdirSync(resolve(stackDir, 'questdb'));
symlinkSync(questdbJarPath(shared), questdbJarPath(stackDir));
symlinkSync(resolve(shared, 'venv'), resolve(stackDir, 'venv'));

const env = {
  ...process.env,
  STACK_DIR: stackDir,
  QUESTDB_HTTP_PORT: String(29000 + TEST_PORT_OFFSET),
  QUESTDB_PG_PORT: String(28812 + TEST_PORT_OFFSET),
  QUESTDB_ILP_TCP_PORT: String(29009 + TEST_PORT_OFFSET),
  QUESTDB_HEALTH_PORT: String(29003 + TEST_PORT_OFFSET),
  MOTO_PORT: String(24566 + TEST_PORT_OFFSET),
  WEB_PORT: String(28080 + TEST_PORT_OFFSET),
  AWS_ENDPOINT_URL: '',
  LOG_LEVEL: 'warn',
};

function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(dir)) found.push(`${pid}: ${cmd.slice(0, 120)}`);
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

afterAll(() => {
  for (const p of processesUsing(stackDir)) process.kill(Number(p.split(':')[0]), 'SIGKILL');
  rmSync(stackDir, { recursive: true, force: true });
});

/** A start expected to end by itself (refused), with its output. */
const startRefused = () =>
  spawnSync(process.execPath, ['--import', 'tsx', 'stack/supervisor.ts'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });

/** The supervisor, started and up. */
async function startSupervisor() {
  const sup = spawn(process.execPath, ['--import', 'tsx', 'stack/supervisor.ts'], { cwd: ROOT, env });
  let out = '';
  sup.stdout.on('data', (d: Buffer) => (out += d.toString()));
  sup.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => sup.once('exit', (c) => r(c)));
  const deadline = Date.now() + 120_000;
  while (!out.includes('press Ctrl-C to stop')) {
    if (Date.now() > deadline || sup.exitCode !== null)
      throw new Error(`supervisor did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { sup, exited, out: () => out };
}

describe('npm start (the supervisor)', () => {
  it('starts the stack, refuses a second start, and stops everything on Ctrl-C', async () => {
    const { sup, exited, out: output } = await startSupervisor();
    const out = output();
    expect(out).toContain(`QuestDB console   http://127.0.0.1:${29000 + TEST_PORT_OFFSET}`);

    const res = await fetch(
      `http://127.0.0.1:${29000 + TEST_PORT_OFFSET}/exec?query=${encodeURIComponent('SELECT table_name FROM tables()')}`,
    );
    const tables = ((await res.json()) as { dataset: string[][] }).dataset.map((r) => r[0]);
    expect(tables).toEqual(
      expect.arrayContaining(['currencies', 'sources', 'polls', 'rates', 'schema_migrations']),
    );

    const second = startRefused();
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/already running \(supervisor pid \d+\)/);
    expect(processesUsing(stackDir).filter((p) => p.includes('java')).length).toBe(1);

    sup.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toMatch(/questdb stopped/);
    expect(processesUsing(stackDir)).toEqual([]);
  }, 180_000);

  it('refuses to start on a port another program holds, naming the port and its setting', async () => {
    const port = 28080 + TEST_PORT_OFFSET;
    const holder = createServer().listen(port, '127.0.0.1');
    await once(holder, 'listening');
    try {
      const run = startRefused();
      expect(run.status).toBe(1);
      expect(run.stdout).toContain(
        `127.0.0.1:${port} (WEB_PORT, set in the environment or .env) is in use by another program`,
      );
      expect(run.stdout).not.toContain('starting QuestDB');
      expect(processesUsing(stackDir)).toEqual([]);
    } finally {
      holder.close();
    }
  }, 120_000);

  it('a second signal kills every child at once', async () => {
    const { sup, exited, out } = await startSupervisor();
    const children = (JSON.parse(readFileSync(resolve(stackDir, 'run.lock'), 'utf8')) as LockState).children;
    // A frozen service holds the orderly stop up for its grace period (it is stopped first: reverse order).
    process.kill(children.web!, 'SIGSTOP');
    sup.kill('SIGTERM');
    while (!out().includes('stopping services')) await new Promise((r) => setTimeout(r, 100));
    // A repeat within a second counts as the same request (Ctrl-C reaches the supervisor twice under npm).
    await new Promise((r) => setTimeout(r, 1_200));
    const t0 = Date.now();
    sup.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(3_000);
    // SIGKILLed: gone as soon as the kernel has reaped them.
    await waitFor(async () => Object.values(children).filter(isAlive).length === 0, 3_000, 'children killed');
  }, 180_000);

  it('a closed output (npm start | head) stops everything as Ctrl-C does', async () => {
    const { sup, exited, out } = await startSupervisor();
    const children = (JSON.parse(readFileSync(resolve(stackDir, 'run.lock'), 'utf8')) as LockState).children;
    sup.stdout.destroy();
    // The supervisor finds its output gone at its next line: the one saying the killed service restarts.
    process.kill(children.web!, 'SIGKILL');
    expect(await exited).toBe(0);
    expect(out()).not.toMatch(/EPIPE|Error/);
    expect(Object.values(children).filter(isAlive)).toEqual([]);
    expect(processesUsing(stackDir)).toEqual([]);
  }, 180_000);

  it('after a crash, the next start stops what the crashed run left and comes up', async () => {
    const first = await startSupervisor();
    const children = (JSON.parse(readFileSync(resolve(stackDir, 'run.lock'), 'utf8')) as LockState).children;
    first.sup.kill('SIGKILL');
    await first.exited;
    // Still holding their ports, data folder, spool and job lock.
    expect(Object.keys(children).filter((name) => isAlive(children[name]!))).toEqual(Object.keys(children));

    const { sup, exited, out } = await startSupervisor();
    for (const name of Object.keys(children))
      expect(out()).toMatch(new RegExp(`stopping ${name} \\(pid \\d+\\) left behind by a crashed run`));
    expect(Object.values(children).filter(isAlive)).toEqual([]);
    sup.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(processesUsing(stackDir)).toEqual([]);
  }, 240_000);
});
