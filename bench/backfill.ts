/**
 * `npm run bench:backfill`: `replay-s3` throughput against the raw ILP ceiling, measured in the same run.
 *
 * Puts about a million rates rows' worth of raw envelopes (Coinbase bodies with 172 codes, rendered by the fake
 * APIs, one per minute, 15 to an object as a buffering Firehose would write them) into an emulator's bucket,
 * then alternates: the ceiling — the very rows the replay writes (rates and polls), already built, written
 * straight through the ILP client in the replay's batches — and the replay from S3 (list, fetch, parse,
 * normalize, check what is stored, write), then that replay with its writes dropped (what reading costs on its
 * own), then the design the replay does not use: its reading in a second thread (bench/replay-thread.ts). All are
 * reported in rates rows per second, with the CPU each used (the main thread's apart: one thread's bound).
 * Between runs the day partitions are dropped, so each run writes into the same empty days. An untimed warm-up
 * round comes first: a fresh QuestDB's first writes are slower.
 *
 * Runs its own QuestDB and moto (ports 29100/28912/29109/29103 and 24666, plus BENCH_PORT_OFFSET; data in
 * .stack/bench/backfill-<offset>/). Options: --envelopes N (6000), --rounds N (5), --warmup N (1), --batch-size N
 * (20000), --concurrency N (16), --slack D (24h, replay-s3's default; shorter slack lets the first minute be written
 * after fewer objects — for weighing that rule, not the figure to report). Each run's CPU includes the share the host
 * of a virtual machine took (steal), which on a shared VM can make one run differ widely from the next.
 * Writes bench/results/backfill.json.
 */
import { cpus, loadavg, release, totalmem } from 'node:os';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { makeS3 } from '../common/aws.ts';
import { makeFirehose } from '../common/firehose.ts';
import { parseConfig, type Config } from '../common/config.ts';
import { makeLogger } from '../common/log.ts';
import { systemClock } from '../common/clock.ts';
import { serializeEnvelope, type RawEnvelope } from '../ingest/archive/envelope.ts';
import { hourPrefix } from '../ingest/archive/keys.ts';
import { makeS3ArchiveStore, type ArchiveStore } from '../ingest/archive/store.ts';
import { runReplay, type ReplayOptions } from '../ingest/replay/replay.ts';
import { makeQuestdbStore, type Batch } from '../ingest/store.ts';
import { runMigrations } from '../migrations/migrate.ts';
import { makeDb, type Db } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import { runBootstrap } from '../stack/bootstrap.ts';
import { formatDuration } from '../migrations/backfills/progress.ts';
import { describeRefusal, parseDuration } from '../common/time.ts';
import { usageLine } from '../common/cli.ts';
import { installMoto, startMoto } from '../stack/moto.ts';
import { isUp, stopManaged, type Managed } from '../stack/process.ts';
import { installQuestdb, startQuestdb } from '../stack/questdb.ts';
import { renderCoinbase } from '../fakes/formats.ts';
import { benchFlags } from './flags.ts';
import { timeThreadedReplay } from './replay-thread.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const Q = loadQueries('./queries.sql', import.meta.url);
const MIN = 60_000;
export const START = Date.UTC(2025, 2, 1); // in the past: a replay lists no further than the present
const PER_OBJECT = 15;
const TARGET = 0.8;
const say = (s: string) => process.stdout.write(`${s}\n`);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

const { values: opts, counts } = benchFlags(
  'backfill',
  {
    envelopes: { type: 'string', default: '6000' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16' },
    slack: { type: 'string', default: '24h' },
  },
  { envelopes: 15, rounds: 1, warmup: 0, 'batch-size': 1, concurrency: 1 },
);
const {
  envelopes: ENVELOPES,
  rounds: ROUNDS,
  warmup: WARMUP,
  'batch-size': BATCH,
  concurrency: CONCURRENCY,
} = counts;
const SLACK = parseDuration(opts.slack);
const SLACK_MS = SLACK.ok ? SLACK.ms : badSlack(SLACK.reason);
export const END = START + ENVELOPES * MIN;

/** Refuse --slack as replay-s3 does, in the benches' one-line form. */
function badSlack(reason: string): never {
  const why = describeRefusal('--slack', opts.slack, reason);
  process.stderr.write(`${usageLine('bench:backfill', [why], 'npm run bench:backfill -- --help')}\n`);
  process.exit(2);
}

const offset = Number(process.env.BENCH_PORT_OFFSET ?? 0);
export const config = parseConfig({
  LOG_LEVEL: 'warn',
  QUESTDB_HTTP_PORT: String(29100 + offset),
  QUESTDB_PG_PORT: String(28912 + offset),
  QUESTDB_ILP_TCP_PORT: String(29109 + offset),
  QUESTDB_HEALTH_PORT: String(29103 + offset),
  MOTO_PORT: String(24666 + offset),
  AWS_ENDPOINT_URL: `http://127.0.0.1:${24666 + offset}`,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  RAW_BUCKET: 'btc-rates-bench',
  FIREHOSE_STREAM: 'btc-rates-bench',
});

/** One minute's Coinbase response as the poller would have archived it. */
function envelopeAt(i: number): RawEnvelope {
  const minute = START + i * MIN;
  return {
    v: 1,
    id: `bench-${i}`,
    source: 'coinbase',
    url: 'https://api.coinbase.com/v2/exchange-rates?currency=BTC',
    minute: new Date(minute).toISOString(),
    attempt: 1,
    final: true,
    fetchedAt: new Date(minute + 412).toISOString(),
    latencyMs: 187.25,
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: renderCoinbase(minute, 42),
    bodyEncoding: 'utf8',
    bodyTruncated: false,
    error: null,
    poller: 'bench',
  };
}

/** The archive: objects of PER_OBJECT envelopes under Firehose-like keys (key -> body), in key order. */
export function buildObjects(): Map<string, string> {
  const pad = (n: number) => String(n).padStart(2, '0');
  const objects = new Map<string, string>();
  for (let i = 0; i < ENVELOPES; i += PER_OBJECT) {
    const envs = Array.from({ length: Math.min(PER_OBJECT, ENVELOPES - i) }, (_, k) => envelopeAt(i + k));
    const d = new Date(Date.parse(envs.at(-1)!.fetchedAt) + 1_000);
    const stamp = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
    const key = `${hourPrefix(config.RAW_PREFIX, d.getTime())}${config.FIREHOSE_STREAM}-1-${stamp}-obj${i}`;
    objects.set(key, envs.map(serializeEnvelope).join(''));
  }
  return objects;
}

/** Put the objects into the bucket, `CONCURRENCY` at a time. */
export async function fillBucket(s3: S3Client, objects: Map<string, string>): Promise<void> {
  const jobs = [...objects];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let job = jobs.shift(); job; job = jobs.shift())
        await s3.send(new PutObjectCommand({ Bucket: config.RAW_BUCKET, Key: job[0], Body: job[1] }));
    }),
  );
}

/** The same objects as an archive in memory. */
function memoryArchive(objects: Map<string, string>): ArchiveStore {
  const keys = [...objects.keys()].sort();
  return {
    async *list(prefix, startAfter) {
      yield keys
        .filter((k) => k.startsWith(prefix) && k > startAfter)
        .map((key) => ({ key, size: Buffer.byteLength(objects.get(key)!) }));
    },
    open: async (key) =>
      (async function* () {
        yield Buffer.from(objects.get(key)!);
      })(),
  };
}

/** The replay of the whole archive into emptied days, as every timed run makes it. */
const replayOptions = (): ReplayOptions => ({
  from: START,
  to: END,
  sources: null,
  force: false,
  slackMs: SLACK_MS,
  batchRows: BATCH,
  concurrency: CONCURRENCY,
  resumable: true,
  fresh: true,
});

/**
 * What the replay writes, built outside any timing by the replay itself over the archive held in memory,
 * into emptied days, its batches caught instead of written: each batch's rates and polls rows, so the ceiling
 * sends the same requests. (First-seen currency rows are left out: 172 rows, written by the first replay only,
 * since the days emptied between runs do not hold them.)
 */
export async function buildBatches(db: Db, objects: Map<string, string>): Promise<Batch[]> {
  await emptyDays(db);
  const batches: Batch[] = [];
  await runReplay(
    { ...replayOptions(), resumable: false },
    {
      db,
      store: { write: async (b) => void batches.push({ rates: b.rates ?? [], polls: b.polls ?? [] }) },
      archive: memoryArchive(objects),
      prefix: config.RAW_PREFIX,
      archiveName: 'memory',
      clock: systemClock,
    },
  );
  return batches;
}

async function count(db: Db, table: string): Promise<number> {
  const [r] = await db.query<{ n: string }>(`SELECT count() n FROM ${table} WHERE ts >= $1 AND ts < $2`, [
    new Date(START).toISOString(),
    new Date(END).toISOString(),
  ]);
  return Number(r?.n ?? 0);
}

/**
 * Drop the bench's days from rates and polls and wait until QuestDB has applied everything. (DROP PARTITION
 * takes no bind parameters; the list is built from dates this file computes.)
 */
export async function emptyDays(db: Db): Promise<void> {
  const days = new Set<string>();
  for (let t = START; t < END; t += MIN) days.add(new Date(t).toISOString().slice(0, 10));
  const list = [...days].map((d) => `'${d}'`).join(',');
  for (const table of ['rates', 'polls']) {
    if ((await count(db, table)) > 0) await db.query(`ALTER TABLE ${table} DROP PARTITION LIST ${list}`);
  }
  for (;;) {
    const wal = await db.query<{ name: string; writerTxn: string; sequencerTxn: string }>(
      pick(Q, 'walTables'),
    );
    const idle = wal.every((w) => w.writerTxn === w.sequencerTxn);
    if (idle && (await count(db, 'rates')) === 0 && (await count(db, 'polls')) === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** CPU seconds a process has used so far (Linux /proc), or null where unknown. */
function cpuOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/** Seconds this process's main thread has so far spent on a core, and runnable but waiting for one (Linux), or null. */
function mainThreadTimes(): [number, number] | null {
  try {
    const [running, waiting] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return [Number(running) / 1e9, Number(waiting) / 1e9];
  } catch {
    return null;
  }
}

/** The machine's CPU time so far by /proc/stat's columns (user, nice, system, idle, ..., steal), or null. */
function machineTicks(): number[] | null {
  try {
    return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  } catch {
    return null;
  }
}

/**
 * `node`: this process, helper threads included; `main`: its main thread alone, where all of a one-thread replay's
 * JavaScript runs, and `mainWaiting`: the time that thread was ready to run but every core was busy. `stolen`: the
 * share of the machine's CPU time a virtual machine's host took meanwhile (steal), 0 to 1.
 */
type Cpu = {
  node: number;
  main: number | null;
  mainWaiting: number | null;
  questdb: number | null;
  moto: number | null;
  stolen: number | null;
};

/** Run `work`, measuring the CPU this process, QuestDB and moto used meanwhile. */
async function withCpu<T>(
  pids: { questdb?: number; moto?: number },
  work: () => Promise<T>,
): Promise<[T, Cpu]> {
  const [q0, m0, n0, t0, s0] = [
    cpuOf(pids.questdb),
    cpuOf(pids.moto),
    process.cpuUsage(),
    machineTicks(),
    mainThreadTimes(),
  ];
  const result = await work();
  const n = process.cpuUsage(n0);
  const [q1, m1, t1, s1] = [cpuOf(pids.questdb), cpuOf(pids.moto), machineTicks(), mainThreadTimes()];
  const diff = (a: number | null | undefined, b: number | null | undefined) =>
    a == null || b == null ? null : b - a;
  const ticks = t0 && t1 ? t1.map((t, i) => t - t0[i]!) : null;
  const total = ticks?.reduce((a, b) => a + b, 0) ?? 0;
  const stolen = ticks && total > 0 ? (ticks[7] ?? 0) / total : null;
  return [
    result,
    {
      node: (n.user + n.system) / 1e6,
      main: diff(s0?.[0], s1?.[0]),
      mainWaiting: diff(s0?.[1], s1?.[1]),
      questdb: diff(q0, q1),
      moto: diff(m0, m1),
      stolen,
    },
  ];
}

const fmtCpu = (c: Cpu) =>
  `CPU: node ${c.node.toFixed(1)} s (main thread ${c.main?.toFixed(1) ?? '?'} s, waiting for a core ` +
  `${c.mainWaiting?.toFixed(1) ?? '?'} s), QuestDB ${c.questdb?.toFixed(1) ?? '?'} s, moto ${c.moto?.toFixed(1) ?? '?'} s, ` +
  `stolen by the host ${c.stolen === null ? '?' : `${(c.stolen * 100).toFixed(0)}%`}`;

export async function timeBaseline(batches: Batch[]): Promise<number> {
  const ilp = await makeIlp(config, { requestTimeoutMs: 120_000, retryTimeoutMs: 60_000 });
  const store = makeQuestdbStore(ilp);
  const t0 = performance.now();
  for (const batch of batches) await store.write(batch);
  const s = (performance.now() - t0) / 1000;
  await ilp.close();
  return s;
}

/** The middle value, the lower of the two middle ones for an even count. */
const lowerMedian = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** What a replay from the bench's bucket needs besides its store. */
const fromBucket = (db: Db, s3: S3Client) => ({
  db,
  archive: makeS3ArchiveStore(s3, config.RAW_BUCKET),
  prefix: config.RAW_PREFIX,
  archiveName: `s3://${config.RAW_BUCKET}/${config.RAW_PREFIX}`,
  clock: systemClock,
});

export async function timeReplay(
  db: Db,
  s3: S3Client,
): Promise<{ seconds: number; rows: number; firstBatchSeconds: number | null }> {
  const ilp = await makeIlp(config, { requestTimeoutMs: 120_000, retryTimeoutMs: 60_000 });
  const t0 = performance.now();
  // When the first batch was acknowledged: before it a day of objects is read (a minute is final only once the
  // arrival slack after it, 24 h by default, has been read).
  let firstBatch: number | null = null;
  const summary = await runReplay(replayOptions(), {
    ...fromBucket(db, s3),
    store: makeQuestdbStore(ilp),
    onProgress: (p) => {
      if (firstBatch === null && p.writtenThisRun > 0) firstBatch = (performance.now() - t0) / 1000;
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  await ilp.close();
  if (summary.counters.badObjects > 0) throw new Error('the replay skipped objects');
  return { seconds, rows: summary.counters.ratesWritten, firstBatchSeconds: firstBatch };
}

/** The same replay with its writes dropped: what listing, fetching, parsing and normalizing cost on their own. */
export async function timeReadOnly(db: Db, s3: S3Client): Promise<number> {
  const t0 = performance.now();
  const summary = await runReplay(
    { ...replayOptions(), resumable: false },
    { ...fromBucket(db, s3), store: { write: async () => {} } },
  );
  // Every envelope is read: kept, or left out for arriving after a --slack shorter than an object's span.
  const { envelopes, late } = summary.counters;
  if (envelopes + late !== ENVELOPES) throw new Error('the read-only replay missed envelopes');
  return (performance.now() - t0) / 1000;
}

async function startStack(): Promise<{ started: Managed[]; pids: { questdb?: number; moto?: number } }> {
  const stackDir = resolve(ROOT, '.stack');
  const started: Managed[] = [];
  const pids: { questdb?: number; moto?: number } = {};
  if (!(await isUp(`http://127.0.0.1:${config.QUESTDB_HEALTH_PORT}/`))) {
    const root = resolve(stackDir, 'bench', `backfill-${offset}`);
    rmSync(root, { recursive: true, force: true });
    const jar = await installQuestdb(stackDir, say);
    say(`starting a QuestDB of its own on ${config.QUESTDB_HTTP_PORT} (data in ${root}) ...`);
    const ports = {
      http: config.QUESTDB_HTTP_PORT,
      pg: config.QUESTDB_PG_PORT,
      ilpTcp: config.QUESTDB_ILP_TCP_PORT,
      health: config.QUESTDB_HEALTH_PORT,
    };
    const q = await startQuestdb({ jar, root, host: '127.0.0.1', ports, name: 'questdb-bench' });
    started.push(q);
    pids.questdb = q.child.pid;
  } else say(`reusing the QuestDB answering on ${config.QUESTDB_HTTP_PORT}`);
  if (!(await isUp(`http://127.0.0.1:${config.MOTO_PORT}/moto-api/data.json`))) {
    const python = await installMoto(stackDir, say);
    const dataDir = resolve(stackDir, 'bench', `backfill-${offset}-s3`);
    rmSync(dataDir, { recursive: true, force: true });
    say(`starting moto of its own on ${config.MOTO_PORT} ...`);
    const m = await startMoto({
      python,
      dataDir,
      host: '127.0.0.1',
      port: config.MOTO_PORT,
      name: 'moto-bench',
    });
    started.push(m);
    pids.moto = m.child.pid;
  } else say(`reusing the emulator answering on ${config.MOTO_PORT}`);
  return { started, pids };
}

async function main(config_: Config = config): Promise<void> {
  const { started, pids } = await startStack();
  const db = makeDb(config_, 2);
  const s3 = makeS3(config_);
  try {
    await runMigrations(db, makeLogger('migrate', 'warn'));
    const firehose = makeFirehose(config_);
    await runBootstrap({ s3, firehose }, config_);
    firehose.destroy();
    say(`putting ${int(ENVELOPES)} envelopes into s3://${config_.RAW_BUCKET}/${config_.RAW_PREFIX} ...`);
    const archive = buildObjects();
    await fillBucket(s3, archive);
    const objects = archive.size;
    const bytes = [...archive.values()].reduce((n, body) => n + Buffer.byteLength(body), 0);
    // The ceiling's rows are built again before each ceiling run and let go after it, so that no other run's
    // garbage collections have to trace a million rows the replay itself would never hold.
    const { rows, batchCount } = await buildBatches(db, archive).then((bs) => ({
      rows: bs.reduce((n, b) => n + (b.rates?.length ?? 0), 0),
      batchCount: bs.length,
    }));
    const build = (await db.query<{ build: string }>(pick(Q, 'build')))[0]?.build ?? '?';
    const cpu = cpus();
    say('');
    say('machine');
    say(`  cpu      ${cpu[0]?.model ?? '?'} x ${cpu.length} cores`);
    say(`  memory   ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}`);
    say(`  node     ${process.version}`);
    say(`  questdb  ${build.replace('Build Information: ', '')}; moto server as S3`);
    say('inputs');
    say(
      `  archive  ${int(ENVELOPES)} Coinbase envelopes in ${int(objects)} objects (${(bytes / 1e6).toFixed(1)} MB)`,
    );
    say(`  rows     ${int(rows)} rates rows and ${int(ENVELOPES)} polls rows, in ${batchCount} batches`);
    say(
      `  runs     ${WARMUP} untimed warm-up and ${ROUNDS} timed rounds of ceiling, replay, replay without writes and replay reading in a second thread, batches of ${int(BATCH)} rows, ${CONCURRENCY} objects ` +
        `fetched at once, ` +
        `arrival slack ${formatDuration(SLACK_MS)}`,
    );
    say(
      `  load     ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (1/5/15-minute load average at the start)`,
    );
    say('');

    type Run = {
      kind: 'ceiling' | 'replay' | 'read' | 'threaded';
      seconds: number;
      rowsPerSec: number;
      cpu: Cpu;
      firstBatchSeconds?: number | null;
    };
    // Untimed: a fresh QuestDB compiles and allocates during its first writes.
    for (let r = 0; r < WARMUP; r++) {
      const b = await timeBaseline(await buildBatches(db, archive));
      await emptyDays(db);
      const p = await timeReplay(db, s3);
      say(`  warm-up ${r + 1} (untimed): ILP ceiling ${b.toFixed(2)} s, replay-s3 ${p.seconds.toFixed(2)} s`);
    }
    const runs: Run[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const [b, bc] = await buildBatches(db, archive).then((batches) =>
        withCpu(pids, () => timeBaseline(batches)),
      );
      runs.push({ kind: 'ceiling', seconds: b, rowsPerSec: rows / b, cpu: bc });
      say(
        `  round ${r + 1}: ILP ceiling ${int(rows / b).padStart(9)} rows/s (${b.toFixed(2)} s; ${fmtCpu(bc)})`,
      );
      await emptyDays(db);
      const [p, pc] = await withCpu(pids, () => timeReplay(db, s3));
      if (p.rows !== rows) throw new Error(`the replay wrote ${p.rows} rows, expected ${rows}`);
      runs.push({
        kind: 'replay',
        seconds: p.seconds,
        rowsPerSec: p.rows / p.seconds,
        cpu: pc,
        firstBatchSeconds: p.firstBatchSeconds,
      });
      say(
        `  round ${r + 1}: replay-s3   ${int(p.rows / p.seconds).padStart(9)} rows/s (${p.seconds.toFixed(2)} s, ` +
          `first batch written after ${p.firstBatchSeconds?.toFixed(2) ?? '?'} s; ${fmtCpu(pc)})`,
      );
      await emptyDays(db);
      const [s, sc] = await withCpu(pids, () => timeReadOnly(db, s3));
      runs.push({ kind: 'read', seconds: s, rowsPerSec: rows / s, cpu: sc });
      say(
        `  round ${r + 1}: no writes   ${int(rows / s).padStart(9)} rows/s (${s.toFixed(2)} s; ${fmtCpu(sc)})`,
      );
      await emptyDays(db);
      const [t, tc] = await withCpu(pids, () => timeThreadedReplay(config_, replayOptions()));
      if (t.rows !== rows) throw new Error(`the threaded replay wrote ${t.rows} rows, expected ${rows}`);
      runs.push({ kind: 'threaded', seconds: t.seconds, rowsPerSec: t.rows / t.seconds, cpu: tc });
      say(
        `  round ${r + 1}: two threads ${int(t.rows / t.seconds).padStart(9)} rows/s (${t.seconds.toFixed(2)} s; ` +
          `${fmtCpu(tc)})`,
      );
    }
    const best = (k: string) => Math.max(...runs.filter((x) => x.kind === k).map((x) => x.rowsPerSec));
    const [ceiling, replay] = [best('ceiling'), best('replay')];
    const ratio = replay / ceiling;
    say('');
    say(
      `best of ${ROUNDS}: replay ${int(replay)} rows/s vs ILP ceiling ${int(ceiling)} rows/s = ${(ratio * 100).toFixed(0)}%`,
    );
    // The target's measure, steadier than best against best: each replay against the ceiling run just before it.
    const of = (k: Run['kind']) => runs.filter((x) => x.kind === k).map((x) => x.rowsPerSec);
    const ceilings = of('ceiling');
    const perRound = of('replay').map((x, r) => x / ceilings[r]!);
    // The same for the design not taken, reading in a second thread, against the same ceiling runs.
    const threadedPerRound = of('threaded').map((x, r) => x / ceilings[r]!);
    // The replay's reading by itself against the ceiling: one thread can hide it only in the ceiling's waits.
    const medianOf = (k: Run['kind'], of: (x: Run) => number) =>
      lowerMedian(runs.filter((x) => x.kind === k).map(of));
    const split = {
      ceiling: medianOf('ceiling', (x) => x.seconds),
      replay: medianOf('replay', (x) => x.seconds),
      read: medianOf('read', (x) => x.seconds),
      threaded: medianOf('threaded', (x) => x.seconds),
      firstBatch: medianOf('replay', (x) => x.firstBatchSeconds ?? NaN),
      nodeCpu: {
        ceiling: medianOf('ceiling', (x) => x.cpu.node),
        replay: medianOf('replay', (x) => x.cpu.node),
        read: medianOf('read', (x) => x.cpu.node),
        threaded: medianOf('threaded', (x) => x.cpu.node),
      },
    };
    // One thread runs the writing and the reading one after the other: a replay can be no faster than their
    // main-thread CPU added up, however well it hides its waits. Each round's ceiling against that sum.
    const mainCpuOf = (x: Run | undefined) => x?.cpu.main ?? NaN;
    const reads = runs.filter((x) => x.kind === 'read');
    const boundPerRound = runs
      .filter((x) => x.kind === 'ceiling')
      .map((x, r) => x.seconds / (mainCpuOf(x) + mainCpuOf(reads[r])));
    const mainCpu = {
      ceiling: medianOf('ceiling', mainCpuOf),
      replay: medianOf('replay', mainCpuOf),
      read: medianOf('read', mainCpuOf),
      replayWaiting: medianOf('replay', (x) => x.cpu.mainWaiting ?? NaN),
    };
    const median = lowerMedian(perRound);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    say(
      `per round (replay / the ceiling just before it): ${perRound.map(pct).join(', ')}; median ${pct(median)} ` +
        `(target >= ${pct(TARGET)}: ${median >= TARGET ? 'met' : 'NOT MET'})`,
    );
    say(
      `median seconds: ceiling ${split.ceiling.toFixed(2)}, replay ${split.replay.toFixed(2)}, replay without ` +
        `writes ${split.read.toFixed(2)} (${pct(split.read / split.ceiling)} of the ceiling), replay's first batch ` +
        `written after ${split.firstBatch.toFixed(2)}; node CPU seconds: ` +
        `ceiling ${split.nodeCpu.ceiling.toFixed(1)}, replay ${split.nodeCpu.replay.toFixed(1)}, replay without writes ` +
        `${split.nodeCpu.read.toFixed(1)}, two threads ${split.nodeCpu.threaded.toFixed(1)}`,
    );
    const boundMedian = lowerMedian(boundPerRound);
    say(
      `per round (one thread's bound: the ceiling / the main-thread CPU of its writing plus the replay's reading): ` +
        `${boundPerRound.map(pct).join(', ')}; median ${pct(boundMedian)}; main-thread CPU seconds, median: ` +
        `ceiling ${mainCpu.ceiling.toFixed(2)}, replay without writes ${mainCpu.read.toFixed(2)}, replay ` +
        `${mainCpu.replay.toFixed(2)} in ${split.replay.toFixed(2)} s, waiting for a core ${mainCpu.replayWaiting.toFixed(2)}`,
    );
    const threadedMedian = lowerMedian(threadedPerRound);
    say(
      `per round (replay reading in a second thread / the round's ceiling): ${threadedPerRound.map(pct).join(', ')}; ` +
        `median ${pct(threadedMedian)}`,
    );
    const dir = resolve(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      resolve(dir, 'backfill.json'),
      JSON.stringify(
        {
          at: new Date().toISOString(),
          machine: {
            cpu: cpu[0]?.model,
            cores: cpu.length,
            memGiB: totalmem() / 2 ** 30,
            node: process.version,
            questdb: build,
            loadAvg: loadavg(),
          },
          inputs: {
            envelopes: ENVELOPES,
            objects,
            bytes,
            rows,
            batchRows: BATCH,
            concurrency: CONCURRENCY,
            slackMs: SLACK_MS,
            rounds: ROUNDS,
            warmup: WARMUP,
          },
          runs,
          perRound: { ratios: perRound, median, target: TARGET, met: median >= TARGET },
          medianSeconds: split,
          threaded: { ratios: threadedPerRound, median: threadedMedian },
          oneThreadBound: { ratios: boundPerRound, median: boundMedian, mainCpuSeconds: mainCpu },
          best: {
            ceilingRowsPerSec: ceiling,
            replayRowsPerSec: replay,
            ratio,
          },
        },
        null,
        2,
      ) + '\n',
    );
    say(`written to bench/results/backfill.json`);
  } finally {
    s3.destroy();
    await db.end();
    for (const m of started.reverse()) await stopManaged(m, 30_000);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
