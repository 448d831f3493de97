/** Child-process plumbing for the local stack: spawn with prefixed logs, wait for readiness, stop in order. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isAlive, signalPid } from '../common/pidlock.ts';
import { formatLogLine } from '../common/log.ts';
import { plainOutput, stripAnsi } from './logfmt.ts';

/** Where installers report progress. */
export type Say = (s: string) => void;

export type Managed = { name: string; child: ChildProcess; exited: Promise<number | null> };

/** Every process spawned here that has not exited yet, so a supervisor can stop even one still starting. */
const live = new Set<Managed>();
export function liveChildren(): Managed[] {
  return [...live];
}

/** Spawn `cmd` and stream its stdout/stderr line by line to `out`, each line prefixed with the service name. */
export function spawnManaged(
  name: string,
  cmd: string,
  args: string[],
  opts: SpawnOptions & { out?: (line: string) => void; pretty?: boolean } = {},
): Managed {
  const { out = (l) => process.stdout.write(l + '\n'), pretty = true, ...spawnOpts } = opts;
  // A process group of its own: a terminal Ctrl-C reaches only the supervisor, which stops children in order.
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...spawnOpts });
  const prefix = `${name.padEnd(10)}|`;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) =>
      out(`${prefix} ${pretty ? formatLogLine(line) : line}`),
    );
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    child.once('error', (err) => {
      out(`${prefix} failed to start: ${err.message}`);
      resolve(127);
    });
  });
  const m = { name, child, exited };
  live.add(m);
  void exited.then(() => live.delete(m));
  return m;
}

/** Poll `url` until it answers with a 2xx status, or fail after `timeoutMs` (or as soon as `exited` settles). */
export async function waitForHttp(url: string, timeoutMs: number, exited?: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead: unknown;
  void exited?.then((c) => (dead = c));
  let lastError = '';
  while (Date.now() < deadline) {
    if (dead !== undefined) throw new Error(`process exited (status ${dead}) before ${url} answered`);
    const why = await probe(url, 2_000);
    if (why === null) return;
    lastError = why;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${lastError})`);
}

/** True when `url` answers 2xx right now. */
export async function isUp(url: string): Promise<boolean> {
  return (await probe(url, 1_500)) === null;
}

const IN_USE = 'in use by another program: stop it, or choose another port';

/** Null when a server could listen on `host:port` now, else why not ("in use by another program: ..."). */
export const busy = (host: string, port: number): Promise<string | null> =>
  new Promise((done) => {
    const server = createServer().once('error', (e: NodeJS.ErrnoException) =>
      done(e.code === 'EADDRINUSE' ? IN_USE : `not available (${e.message})`),
    );
    server.listen(port, host, () => server.close(() => done(null)));
  });

/** Null when `url` answers 2xx within `timeoutMs`, else why not. */
async function probe(url: string, timeoutMs: number): Promise<string | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok ? null : `HTTP ${res.status}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stopManaged(m: Managed, graceMs = 10_000): Promise<void> {
  if (m.child.exitCode !== null || m.child.signalCode !== null) return;
  m.child.kill('SIGTERM');
  const timer = setTimeout(() => m.child.kill('SIGKILL'), graceMs);
  await m.exited;
  clearTimeout(timer);
}

/** Stop a process that is not our child (a crashed run's): SIGTERM, SIGKILL after `graceMs`; resolves when gone. */
export async function stopPid(pid: number, graceMs: number): Promise<void> {
  signalPid(pid, 'SIGTERM');
  const killAt = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() >= killAt + 5_000) throw new Error(`pid ${pid} outlived SIGKILL (not ours?)`);
    if (Date.now() >= killAt) signalPid(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Run a command to completion, inheriting output; reject with its status when it fails. */
export function run(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    // Installers (mvn, pip) write terminal codes even when told not to: off a terminal, they are stripped (and a
    // line of nothing else dropped, not printed blank).
    const plain = plainOutput(process.stdout, process.env);
    const child = spawn(cmd, args, { stdio: plain ? ['ignore', 'pipe', 'pipe'] : 'inherit', ...opts });
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const)
      if (from)
        createInterface({ input: from }).on('line', (line) => {
          const text = stripAnsi(line);
          if (text.trim() || !line) to.write(`${text}\n`);
        });
    child.once('error', (err) => reject(new Error(`${cmd} could not start: ${err.message}`, { cause: err })));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with status ${code}`)),
    );
  });
}

/** `node` arguments that run a project entry: compiled JavaScript as it is, TypeScript sources through tsx. */
export function nodeArgs(file: string): string[] {
  return file.endsWith('.ts') ? ['--import', 'tsx', file] : [file];
}

/** A virtualenv at `venv` with `requirement` installed unless complete (marker written last); its python. */
export async function installVenv(venv: string, requirement: string, say: Say): Promise<string> {
  const marker = join(venv, `.installed-${requirement.replace(/[^\w.=-]/g, '_')}`);
  const python = join(venv, 'bin', 'python');
  if (existsSync(marker) && existsSync(python)) return python;
  say(`installing ${requirement} into ${venv} (PyPI) ...`);
  rmSync(venv, { recursive: true, force: true });
  await run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv]);
  await run(join(venv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', requirement]);
  writeFileSync(marker, '');
  return python;
}
