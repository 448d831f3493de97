/**
 * `replay-s3` on a QuestDB and an emulator of its own: the archive is made by the real poller against the fake
 * APIs; the day's partitions are dropped (QuestDB has no DELETE) and the replay must bring back rates, polls
 * and currencies row for row, change nothing when run again, end the same after being killed halfway, and skip
 * and report a corrupt object by its key.
 */
import { spawn, spawnSync } from 'node:child_process';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { systemClock } from '../../common/clock.ts';
import { makeS3ArchiveStore } from '../../ingest/archive/store.ts';
import { daysIn } from '../../lake/layout.ts';
import { runReplay, type ReplayOptions } from '../../ingest/replay/replay.ts';
import { makeQuestdbStore } from '../../ingest/store.ts';
import { makeDb, type Db } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { makeFakeApi, type FakeApi } from '../../fakes/server.ts';
import { makeManualClock } from '../support/clocks.ts';
import { expectedRows, makeTestPoller, startPrivateStack } from './ingest-support.ts';
import { waitFor } from './stack-env.ts';
import {
  archiveObjects,
  countRows,
  dropDays,
  envOf,
  firehoseKey,
  snapshot,
  waitForCounts,
  type Snapshot,
} from './replay-support.ts';

const MIN = 60_000;
const N = 20;
let stack: Awaited<ReturnType<typeof startPrivateStack>>;
let fake: FakeApi;
let db: Db;
let before: Snapshot;
// Recent minutes, so the emulator's keys (stamped by the wall clock at arrival) follow the minutes as
// Firehose's do; the stack is private, so nothing else has rows there.
const from = Math.floor(Date.now() / MIN) * MIN - (N + 3) * MIN;
const to = from + N * MIN;

beforeAll(async () => {
  stack = await startPrivateStack(90);
  const fakeClock = makeManualClock(0);
  fake = makeFakeApi({ seed: 11, clock: fakeClock });
  const base = await fake.start(0);
  const clock = makeManualClock(from);
  const t = await makeTestPoller({ config: stack.config, base, clock });
  for (let i = 0; i < N; i++) {
    clock.set(from + i * MIN + 1_000);
    fakeClock.set(clock.now());
    await t.poller.pollRound(from + i * MIN);
  }
  await t.close();
  db = makeDb(stack.config, 2);
  const rates = expectedRows(fake, from, to).size;
  await waitFor(
    async () =>
      (await countRows(db, 'rates', from, to)) === rates &&
      (await countRows(db, 'polls', from, to)) === 4 * N,
    30_000,
    "the poller's rows",
  );
  before = await snapshot(db, from, to);
}, 120_000);
afterAll(async () => {
  await db?.end();
  await fake?.stop();
  await stack?.stop();
}, 60_000);

const replay = async (opts: Partial<ReplayOptions> = {}) => {
  const { config } = stack;
  const ilp = await makeIlp(config);
  const s3 = makeS3(config);
  try {
    return await runReplay(
      {
        from,
        to,
        sources: null,
        force: false,
        slackMs: 86_400_000,
        batchRows: 2_000,
        concurrency: 8,
        resumable: true,
        fresh: false,
        ...opts,
      },
      {
        db,
        store: makeQuestdbStore(ilp),
        archive: makeS3ArchiveStore(s3, config.RAW_BUCKET),
        prefix: config.RAW_PREFIX,
        archiveName: `s3://${config.RAW_BUCKET}/${config.RAW_PREFIX}`,
        clock: systemClock,
      },
    );
  } finally {
    await ilp.close();
    s3.destroy();
  }
};

const cli = (...args: string[]) => [
  '--import',
  'tsx',
  'migrations/backfill.ts',
  'replay-s3',
  '--from',
  new Date(from).toISOString(),
  '--to',
  new Date(to).toISOString(),
  ...args,
];

describe('replay-s3', () => {
  it('archive and tables are what the poller made', () => {
    expect(before.polls).toHaveLength(4 * N);
    expect(before.rates.length).toBeGreaterThan(150 * N);
    expect(before.currencies.length).toBeGreaterThan(150);
  });

  it('brings dropped days back row for row; a second run writes nothing; --force rewrites the same rows', async () => {
    await dropDays(stack.config, db, from, to);
    const first = await replay();
    expect(first.counters).toMatchObject({
      ratesWritten: before.rates.length,
      pollsWritten: 4 * N,
      duplicates: 0,
    });
    await waitForCounts(db, from, to, before);
    expect(await snapshot(db, from, to)).toEqual(before);

    const second = await replay();
    expect(second.counters).toMatchObject({
      ratesWritten: 0,
      pollsWritten: 0,
      ratesKept: before.rates.length,
    });
    const forced = await replay({ force: true });
    expect(forced.counters).toMatchObject({
      ratesWritten: before.rates.length,
      ratesReplaced: before.rates.length,
    });
    expect(forced.counters.stale ?? 0).toBe(0);
    expect(await snapshot(db, from, to)).toEqual(before);
  });

  it('keeps a row stored before the replay, writes the rest; a second run writes nothing; --force puts it right', async () => {
    // One rates row of the middle minute, stored with a value of its own before the replay.
    const mid = new Date(from + 10 * MIN).toISOString();
    const [row] = await db.query<{ source: string; currency: string }>(
      'SELECT source, currency FROM rates WHERE ts = $1 LIMIT 1',
      [mid],
    );
    await dropDays(stack.config, db, from, to);
    const ilp = await makeIlp(stack.config);
    await makeQuestdbStore(ilp).write({
      rates: [{ ts: from + 10 * MIN, source: row!.source, currency: row!.currency, rate: -1, quoteTs: null }],
    });
    await ilp.close();
    await waitFor(async () => (await countRows(db, 'rates', from, to)) === 1, 30_000, 'the planted row');

    const first = await replay({ batchRows: 2_000 });
    expect(first.counters).toMatchObject({ ratesWritten: before.rates.length - 1, ratesKept: 1 });
    await waitForCounts(db, from, to, before);
    const kept = await db.query<{ rate: number }>(
      'SELECT rate FROM rates WHERE ts = $1 AND source = $2 AND currency = $3',
      [mid, row!.source, row!.currency],
    );
    expect(kept.map((k) => k.rate)).toEqual([-1]);
    const now = await snapshot(db, from, to);
    expect(now.polls).toEqual(before.polls);
    expect(now.currencies).toEqual(before.currencies);
    expect(
      now.rates.filter((r) => !before.rates.some((b) => JSON.stringify(b) === JSON.stringify(r))),
    ).toHaveLength(1);

    // Everything stored now: a second run writes nothing, and --force puts the planted row right.
    const second = await replay();
    expect(second.counters).toMatchObject({
      ratesWritten: 0,
      pollsWritten: 0,
      ratesKept: before.rates.length,
    });
    const forced = await replay({ force: true });
    expect(forced.counters).toMatchObject({
      ratesWritten: before.rates.length,
      ratesReplaced: before.rates.length,
    });
    await waitFor(
      async () => JSON.stringify(await snapshot(db, from, to)) === JSON.stringify(before),
      30_000,
      'the forced rows',
    );
  });

  it('killed halfway, the same command continues from its progress and ends with the same tables', async () => {
    await dropDays(stack.config, db, from, to);
    const child = spawn(process.execPath, cli('--batch-size', '200', '--progress-every', '0'), {
      env: { ...process.env, ...envOf(stack.config) },
    });
    let err = '';
    const killed = new Promise<NodeJS.Signals | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        // Rows count only once QuestDB acknowledged a batch and its progress was saved: kill right there.
        if (/progress: .* [1-9][\d,]* rows/.test(err) && child.exitCode === null) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => resolve(signal));
    });
    expect(await killed, err).toBe('SIGKILL');
    type P = { done_until: Date; status: string };
    let p: P | undefined;
    await waitFor(
      async () => {
        [p] = await db.query<P>(
          "SELECT done_until, status FROM replay_progress WHERE ts = $1 AND status = 'running'",
          [new Date(from).toISOString()],
        );
        return p !== undefined;
      },
      20_000,
      "the killed run's progress",
    );
    expect(p?.status).toBe('running');
    expect(p!.done_until.getTime()).toBeGreaterThan(from);
    expect(p!.done_until.getTime()).toBeLessThan(to);

    // The same options as the killed command (batch size and concurrency are not part of a run's identity).
    const again = await replay({ batchRows: 20_000 });
    expect(again.resumedFrom).toBe(p!.done_until.getTime());
    // Rows the killed run wrote after its last saved batch are found stored and kept, not written twice.
    expect(again.counters.ratesWritten).toBeLessThanOrEqual(before.rates.length);
    await waitForCounts(db, from, to, before);
    expect(await snapshot(db, from, to)).toEqual(before);
  });

  it('--force with a --to far ahead marks the days it rewrote for the lake export, and none past today', async () => {
    const args = ['--from', new Date(from).toISOString(), '--to', '9999-01-01', '--force'];
    const before = Date.now();
    const forced = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'migrations/backfill.ts', 'replay-s3', ...args],
      {
        env: { ...process.env, ...envOf(stack.config) },
        encoding: 'utf8',
      },
    );
    expect(forced.stdout).toMatch(
      /rates +[\d,]+ normalized: [\d,]+ written \([1-9][\d,]* replacing stored rows\)/,
    );
    expect(forced.status, forced.stderr).toBe(0);
    // The days from --from to the command's now (midnight may pass while it runs), each for rates and polls.
    const marks = (now: number) =>
      daysIn(from, now).flatMap((d) => [d, d].map((t) => new Date(t).toISOString()));
    const [early, late] = [marks(before), marks(Date.now())];
    const marked = async () =>
      (await db.query<{ ts: Date }>('SELECT ts FROM lake_exports WHERE rows_exported = -1 ORDER BY ts')).map(
        (r) => r.ts.toISOString(),
      );
    await waitFor(async () => (await marked()).length >= early.length, 20_000, 'the days marked changed');
    expect([early, late]).toContainEqual(await marked());
  });

  it('reports a corrupt object by its key, skips it, goes on, and exits 1 unless --allow-skips', async () => {
    const { config } = stack;
    const s3 = makeS3(config);
    const bad = firehoseKey(config, from + 5 * MIN + 30_000, 'corrupt-0000');
    await s3.send(
      new PutObjectCommand({
        Bucket: config.RAW_BUCKET,
        Key: bad,
        Body: '{"v":1,"id":"x"\n<html>oops</html>\n',
      }),
    );
    // A batch delivered twice (a spool re-send), arriving later: its ids are skipped.
    const [first] = (await archiveObjects(s3, config)).filter((o) => !o.key.includes('corrupt'));
    await s3.send(
      new PutObjectCommand({
        Bucket: config.RAW_BUCKET,
        Key: firehoseKey(config, Date.now() - 30_000, 'resent-0000'),
        Body: first!.body,
      }),
    );
    s3.destroy();
    await dropDays(config, db, from, to);

    const strict = spawnSync(process.execPath, cli(), {
      env: { ...process.env, ...envOf(config) },
      encoding: 'utf8',
    });
    expect(strict.stderr).toContain(`${bad}: line 1: not JSON`);
    expect(strict.stderr).toContain(`${bad}: line 2: not JSON`);
    expect(strict.stdout).toMatch(/1 with corrupt lines skipped \(2 lines\)/);
    expect(strict.stdout).toMatch(/envelopes +\d[\d,]* in range; [1-9]\d* duplicates skipped/);
    expect(strict.status).toBe(1); // (--allow-skips makes it 0: replayExitStatus, unit-tested)
    await waitForCounts(db, from, to, before);
    expect(await snapshot(db, from, to)).toEqual(before);
  });
});
