/**
 * Issue 20's acceptance on the real local stack: `npm start -- --demo` on a stack folder and ports of its own, on a
 * fast clock. The raw archive survives a SIGTERM of the top process (which stops every service within seconds)
 * and a SIGKILL of the emulator alone (the supervisor starts it again), byte for byte under the same keys; `replay-s3` into an empty QuestDB then
 * rebuilds `rates` row for row.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { parseConfig } from '../../common/config.ts';
import { isAlive } from '../../common/pidlock.ts';
import { makeLogger } from '../../common/log.ts';
import { runMigrations } from '../../migrations/migrate.ts';
import { makeDb } from '../../sql/db.ts';
import type { LockState } from '../../stack/lock.ts';
import { installMoto, startMoto } from '../../stack/moto.ts';
import { stopManaged, type Managed } from '../../stack/process.ts';
import { questdbJarPath, startQuestdb } from '../../stack/questdb.ts';
import { TEST_PORT_OFFSET, waitFor } from './stack-env.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const shared = resolve(ROOT, '.stack');
mkdirSync(resolve(shared, 'test'), { recursive: true });
const stackDir = mkdtempSync(resolve(shared, 'test', 'durable-'));
mkdirSync(resolve(stackDir, 'questdb'));
symlinkSync(questdbJarPath(shared), questdbJarPath(stackDir));
symlinkSync(resolve(shared, 'venv'), resolve(stackDir, 'venv'));

const SPEED = 30;
// Below the ephemeral range (32768 and up), where an outgoing connection can hold a port for a moment.
const port = (base: number) => String(base + TEST_PORT_OFFSET);
// The simulated run stays behind real time: Firehose names objects by real arrival, after their minute.
const simStart = Math.floor(Date.now() / 60_000) * 60_000 - 150 * 60_000;
const realStart = Date.now();
const env: Record<string, string | undefined> = {
  ...process.env,
  STACK_DIR: stackDir,
  QUESTDB_HTTP_PORT: port(26000),
  QUESTDB_PG_PORT: port(26812),
  QUESTDB_ILP_TCP_PORT: port(26009),
  QUESTDB_HEALTH_PORT: port(26003),
  MOTO_PORT: port(26566),
  WEB_PORT: port(26080),
  FAKE_API_PORT: port(26099),
  AWS_ENDPOINT_URL: '',
  LOG_LEVEL: 'warn',
  CLOCK_SPEED: String(SPEED),
  CLOCK_SIM_START: new Date(simStart).toISOString(),
  CLOCK_REAL_START: String(realStart),
};
const config = parseConfig({
  ...env,
  AWS_ENDPOINT_URL: `http://127.0.0.1:${env.MOTO_PORT}`,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
});
const qdbPorts = {
  http: config.QUESTDB_HTTP_PORT,
  pg: config.QUESTDB_PG_PORT,
  ilpTcp: config.QUESTDB_ILP_TCP_PORT,
  health: config.QUESTDB_HEALTH_PORT,
};

type Run = { npm: ChildProcess; exited: Promise<number | null>; out: () => string };
const runs: Run[] = [];
const extra: Managed[] = [];

/** `npm start -- --demo`, as an operator runs it; resolves once the stack says it is up. */
async function startStack(): Promise<Run> {
  const npm = spawn('npm', ['start', '--', '--demo'], { cwd: ROOT, env, detached: true });
  let out = '';
  npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => npm.once('exit', (c) => r(c)));
  const run = { npm, exited, out: () => out };
  runs.push(run);
  await waitFor(async () => {
    if (npm.exitCode !== null) throw new Error(`npm start exited:\n${out}`);
    return out.includes('press Ctrl-C to stop');
  }, 120_000);
  return run;
}

const lock = () => JSON.parse(readFileSync(resolve(stackDir, 'run.lock'), 'utf8')) as LockState;

/**
 * Every object of the raw archive with the SHA-256 of its bytes. (The bucket also holds the curated lake, which the
 * lake-export job may rewrite at any time: derived objects, not the archive.)
 */
async function bucket(): Promise<Map<string, string>> {
  const s3 = makeS3(config);
  const out = new Map<string, string>();
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: config.RAW_BUCKET,
          Prefix: config.RAW_PREFIX,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) {
        const obj = await s3.send(new GetObjectCommand({ Bucket: config.RAW_BUCKET, Key: o.Key }));
        const body = await obj.Body!.transformToByteArray();
        out.set(o.Key!, createHash('sha256').update(body).digest('hex'));
      }
      token = page.NextContinuationToken;
    } while (token);
  } finally {
    s3.destroy();
  }
  return out;
}

/** `before` is contained in `after`: the same keys with the same bytes. */
function expectKept(before: Map<string, string>, after: Map<string, string>) {
  const missing = [...before].filter(([k, h]) => after.get(k) !== h).map(([k]) => k);
  expect(missing).toEqual([]);
}

const simNow = () => simStart + (Date.now() - realStart) * SPEED;

/** Every `rates` row, in order, once QuestDB has applied its WAL. */
async function ratesRows(): Promise<unknown[][]> {
  const db = makeDb(config, 1);
  try {
    await waitFor(
      async () => {
        const [r] = await db.query<{ n: string }>(
          "SELECT count() n FROM wal_tables() WHERE name = 'rates' AND writerTxn < sequencerTxn",
        );
        return Number(r?.n) === 0;
      },
      30_000,
      'rates WAL applied',
    );
    const rows = await db.query<Record<string, unknown>>(
      'SELECT source, currency, ts, rate FROM rates ORDER BY source, currency, ts',
    );
    return rows.map((r) => [r.source, r.currency, String(r.ts), r.rate]);
  } finally {
    await db.end();
  }
}

afterAll(async () => {
  for (const r of runs) if (r.npm.exitCode === null) r.npm.kill('SIGKILL');
  for (const m of extra) await stopManaged(m);
  try {
    for (const pid of Object.values(lock().children)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  } catch {
    /* no lock left: nothing running */
  }
  rmSync(stackDir, { recursive: true, force: true });
}, 60_000);

describe('the raw archive of `npm start`', () => {
  it('survives a SIGTERM of the stack and a SIGKILL of the emulator; replay-s3 rebuilds rates from it', async () => {
    // 1. Collect simulated minutes from the fake APIs.
    let run = await startStack();
    await waitFor(async () => (await bucket()).size >= 20, 60_000, '20 archived objects');
    const first = await bucket();

    // 2. SIGTERM to the top process: every service stops within seconds, and the stack comes back with the archive.
    const children = Object.values(lock().children);
    expect(children.length).toBeGreaterThanOrEqual(7);
    const t0 = Date.now();
    run.npm.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(children.filter(isAlive)).toEqual([]);

    run = await startStack();
    const second = await bucket();
    expectKept(first, second);
    expect(second.size).toBeGreaterThanOrEqual(first.size);
    // The health page says so, and counts the objects of the last hour (the first run's among them).
    let health = '';
    await waitFor(async () => {
      health = await fetch(`http://127.0.0.1:${env.WEB_PORT}/health`)
        .then((r) => r.text())
        .catch(() => '');
      return health.includes('Raw archive');
    }, 30_000);
    expect(health).toContain('Raw archive durable:');
    const lastHour = /([\d,.\s]+) objects stored in the last hour/.exec(health)?.[1] ?? '';
    expect(Number(lastHour.replace(/\D/g, ''))).toBeGreaterThanOrEqual(first.size);

    // 3. SIGKILL of the emulator alone: the supervisor starts it again, with the whole archive.
    await waitFor(async () => (await bucket()).size > second.size + 5, 60_000, 'more archived objects');
    const third = await bucket();
    process.kill(lock().children.moto!, 'SIGKILL');
    await waitFor(
      async () => run.out().includes('the AWS emulator is back'),
      60_000,
      'the emulator restarted',
    );
    expectKept(third, await bucket());
    // Firehose deliveries go on after it (the emulator loaded its delivery stream back).
    const fourth = await bucket();
    await waitFor(async () => (await bucket()).size > fourth.size, 30_000, 'a delivery after the restart');

    // 4. Once QuestDB holds rows of a minute polled after the emulator came back (so the replay below covers them),
    // stopped; the rows QuestDB holds, then replay-s3 from the archive into an empty QuestDB.
    const back = simNow();
    const live = makeDb(config, 1);
    try {
      await waitFor(
        async () => {
          const [r] = await live.query<{ t: Date | null }>('SELECT max(ts) t FROM rates');
          return (r?.t?.getTime() ?? 0) > back;
        },
        30_000,
        'rates of a minute after the emulator came back',
      );
    } finally {
      await live.end();
    }
    run.npm.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    const to = Math.ceil(simNow() / 60_000) * 60_000 + 60_000;
    const jar = questdbJarPath(shared);
    const stored = await startQuestdb({
      jar,
      root: resolve(stackDir, 'questdb', 'root'),
      host: '127.0.0.1',
      ports: qdbPorts,
    });
    extra.push(stored);
    const original = await ratesRows();
    await stopManaged(stored);
    expect(original.length).toBeGreaterThan(100);

    const empty = await startQuestdb({
      jar,
      root: resolve(stackDir, 'questdb-empty'),
      host: '127.0.0.1',
      ports: qdbPorts,
    });
    extra.push(empty);
    const moto = await startMoto({
      python: await installMoto(stackDir, () => {}),
      host: '127.0.0.1',
      port: config.MOTO_PORT,
      dataDir: resolve(stackDir, 's3'),
    });
    extra.push(moto);
    const db = makeDb(config, 1);
    await runMigrations(db, makeLogger('migrate', 'silent'));
    await db.end();
    const replay = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'migrations/backfill.ts',
        'replay-s3',
        '--from',
        new Date(simStart - 60_000).toISOString(),
        '--to',
        new Date(to).toISOString(),
      ],
      {
        cwd: ROOT,
        env: {
          ...env,
          AWS_ENDPOINT_URL: config.AWS_ENDPOINT_URL,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(replay.status, replay.stderr + replay.stdout).toBe(0);
    expect(await ratesRows()).toEqual(original);
  }, 175_000);
});
