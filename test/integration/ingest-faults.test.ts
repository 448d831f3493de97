/**
 * Fault tests of the poller, each on a QuestDB and an emulator of its own that it kills and restarts, each
 * ending with the same exact check: `rates` holds every valid response the fake served, once per
 * (source, currency), and S3 holds every envelope exactly once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { makeScaledClock, systemClock } from '../../common/clock.ts';
import type { RawEnvelope } from '../../ingest/archive/envelope.ts';
import { makeDb } from '../../sql/db.ts';
import { makeFakeApi, type FakeApi } from '../../fakes/server.ts';
import { makeManualClock } from '../support/clocks.ts';
import {
  archivedEnvelopes,
  expectExactly,
  fakeUrls,
  makeTestPoller,
  ownRange,
  startPrivateStack,
} from './ingest-support.ts';
import { configEnv } from '../../common/config.ts';
import { TEST_PORT_OFFSET, waitFor } from './stack-env.ts';

let stack: Awaited<ReturnType<typeof startPrivateStack>>;
let fake: FakeApi;
let base: string;
const fakeClock = makeManualClock(0);

beforeAll(async () => {
  stack = await startPrivateStack(60);
  fake = makeFakeApi({ seed: 7, clock: fakeClock });
  base = await fake.start(0);
}, 120_000);
afterAll(async () => {
  await fake.stop();
  await stack.stop();
}, 60_000);

/** Poll minutes [from + i·1m] for i in `minutes`, keeping the fake's clock on the poller's. */
async function pollMinutes(
  t: Awaited<ReturnType<typeof makeTestPoller>>,
  clock: ReturnType<typeof makeManualClock>,
  from: number,
  minutes: number[],
) {
  for (const i of minutes) {
    clock.set(from + i * 60_000 + 1_000);
    fakeClock.set(clock.now());
    await t.poller.pollRound(from + i * 60_000);
  }
}

describe('ingest under faults', () => {
  it('QuestDB crashed for several polls, then restarted: nothing lost, nothing doubled', async () => {
    const { config } = stack;
    const { from, to } = ownRange(7);
    const clock = makeManualClock(from);
    const t = await makeTestPoller({ config, base, clock });
    await pollMinutes(t, clock, from, [0, 1]);
    await stack.killQuestdb();
    await pollMinutes(t, clock, from, [2, 3, 4]);
    expect(t.spool.stats().channels.find((c) => c.channel === 'store')?.files).toBe(3 * 4);
    await stack.restartQuestdb();
    await pollMinutes(t, clock, from, [5, 6]);
    expect(t.spool.stats().bytes).toBe(0);
    await t.close();

    const db = makeDb(config, 1);
    try {
      await expectExactly(db, fake, from, to, 7);
    } finally {
      await db.end();
    }
    const s3 = makeS3(config);
    const { envelopes, duplicateIds } = await archivedEnvelopes(s3, config, from, to);
    s3.destroy();
    expect(duplicateIds).toEqual([]);
    expect(envelopes.length).toBe(4 * 7);
  }, 120_000);

  it('the emulator stopped and restarted: envelopes wait in the spool and arrive once', async () => {
    const { config } = stack;
    const { from, to } = ownRange(6);
    const clock = makeManualClock(from);
    const t = await makeTestPoller({ config, base, clock });
    const s3 = makeS3(config);
    await pollMinutes(t, clock, from, [0, 1]);
    const before = (await archivedEnvelopes(s3, config, from, to)).envelopes;
    expect(before.length).toBe(8);
    await stack.killMoto();
    await pollMinutes(t, clock, from, [2, 3]);
    expect(t.spool.stats().channels.find((c) => c.channel === 'archive')?.files).toBe(8);
    await stack.restartMoto();
    await pollMinutes(t, clock, from, [4, 5]);
    expect(t.spool.stats().bytes).toBe(0);
    await t.close();

    // The emulator's S3 is durable: what it held before the kill is still there, with what the spool delivered.
    const after = await archivedEnvelopes(s3, config, from, to);
    s3.destroy();
    const all: RawEnvelope[] = after.envelopes;
    expect(after.duplicateIds).toEqual([]);
    expect(all.map((e) => e.id)).toEqual(expect.arrayContaining(before.map((e) => e.id)));
    expect(all.length).toBe(4 * 6);
    const db = makeDb(config, 1);
    try {
      await expectExactly(db, fake, from, to, 6);
    } finally {
      await db.end();
    }
  }, 120_000);

  it('the poller killed mid-poll and started again: the interrupted minute is polled again, once', async () => {
    const { config } = stack;
    const speed = 10; // a simulated minute every 6 s
    const simStart = Date.UTC(2032, 5, 1, 0, 0, 0) + Math.floor(Math.random() * 300) * 86_400_000;
    const realStart = Date.now();
    const clock = makeScaledClock({ speed, simStart, realStart });
    const live = makeFakeApi({ seed: 11, clock });
    const liveBase = await live.start(0);
    const urls = fakeUrls(liveBase);
    const env = {
      ...process.env,
      ...configEnv(config),
      SOURCES: 'blockchain,coinbase',
      BLOCKCHAIN_URL: urls.blockchain,
      COINBASE_URL: urls.coinbase,
      SPOOL_DIR: mkdtempSync(join(tmpdir(), 'spool-kill-')),
      CLOCK_SPEED: String(speed),
      CLOCK_SIM_START: new Date(simStart).toISOString(),
      CLOCK_REAL_START: String(realStart),
      LOG_LEVEL: 'warn',
      TEST_PORT_OFFSET: String(TEST_PORT_OFFSET),
    };
    const startPoller = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'ingest/main.ts'], { env, stdio: 'inherit' });
      const exited = new Promise((r) => child.once('exit', r));
      return { child, exited };
    };
    const sleepUntilSim = async (sim: number) => {
      while (clock.now() < sim) await new Promise((r) => setTimeout(r, 20));
    };
    const minute = (i: number) => simStart + i * 60_000;

    let poller = startPoller();
    await sleepUntilSim(minute(3) - 5_000);
    // Minute 3's blockchain answer is slow: the poller is killed while it waits for it.
    live.inject('blockchain', { kind: 'slow', ms: 1_500 });
    await sleepUntilSim(minute(3) + 8_000);
    expect(poller.child.exitCode, 'poller still running when killed').toBeNull();
    poller.child.kill('SIGKILL');
    await poller.exited;
    poller = startPoller();
    await sleepUntilSim(minute(7) + 30_000);
    expect(poller.child.exitCode, 'restarted poller still running').toBeNull();
    poller.child.kill('SIGTERM');
    await poller.exited;
    await live.stop();

    const from = minute(1);
    const to = minute(7);
    const servedMinutes = new Set(
      live.served.filter((s) => s.valid && s.minute >= from && s.minute < to).map((s) => s.minute),
    );
    // Every minute of the window was served — minute 3 by the restarted poller, which polls the interval under way
    // when less than 3/4 of it has passed; a restart slower than that (a heavily loaded machine: 4.5 s of real
    // time at this speed) loses only that minute, which is then never served, so nothing may be stored for it.
    const required = [1, 2, 4, 5, 6].map(minute);
    for (const m of required) expect(servedMinutes.has(m), new Date(m).toISOString()).toBe(true);
    const db = makeDb(config, 1);
    try {
      // rates ≡ what was served: no minute lost, none doubled, none invented.
      await expectExactly(db, live, from, to, null);
    } finally {
      await db.end();
    }
    const s3 = makeS3(config);
    const { duplicateIds } = await archivedEnvelopes(s3, config, from, to);
    s3.destroy();
    expect(duplicateIds).toEqual([]);
  }, 120_000);

  it('warm-up pages wait in the spool while Firehose is away at start, and their rows are written', async () => {
    const { config } = stack;
    const live = makeFakeApi({ seed: 13, clock: systemClock });
    const urls = fakeUrls(await live.start(0));
    const spoolDir = mkdtempSync(join(tmpdir(), 'spool-warm-'));
    const env = {
      ...process.env,
      ...configEnv(config),
      SOURCES: 'kraken',
      KRAKEN_URL: urls.kraken,
      FIREHOSE_STREAM: 'no-such-stream', // every PutRecordBatch fails: the archive channel spools
      SPOOL_DIR: spoolDir,
      POLLER_ID: 'warm',
      LOG_LEVEL: 'warn',
    };
    const started = Math.floor(Date.now() / 60_000) * 60_000;
    const child = spawn(process.execPath, ['--import', 'tsx', 'ingest/main.ts'], { env, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    const db = makeDb(config, 1);
    try {
      // The warm-up reaches 718 minutes back for each of Kraken's three pairs; the poller's own rows are newer.
      const warmed = async () =>
        await db.query<{ currency: string; n: string | number }>(
          "SELECT currency, count() n FROM rates WHERE source = 'kraken' AND ts < $1 ORDER BY currency",
          [new Date(started - 60 * 60_000).toISOString()],
        );
      const enough = async () => (await warmed()).filter((r) => Number(r.n) > 600).length === 3;
      await waitFor(enough, 60_000, "the warm-up's rows of USD, USDC and USDT");
      const spooled = readdirSync(join(spoolDir, 'warm', 'archive'))
        .filter((f) => f.endsWith('.json'))
        .flatMap(
          (f) => JSON.parse(readFileSync(join(spoolDir, 'warm', 'archive', f), 'utf8')) as RawEnvelope[],
        );
      expect(spooled.filter((e) => e.candles).map((e) => e.url.split('pair=')[1]?.split('&')[0])).toEqual(
        expect.arrayContaining(['XBTUSD', 'XBTUSDT', 'XBTUSDC']),
      );
    } finally {
      child.kill('SIGTERM');
      await exited;
      await db.end();
      await live.stop();
    }
  }, 120_000);
});
