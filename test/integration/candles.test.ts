/**
 * The venue candle backfill against the fakes, on a QuestDB and an emulator of its own: every page archived raw,
 * every closed minute written once, a second run changes nothing, a replay of the archive rebuilds the same rows,
 * and the start-up warm-up fetches only the pages of its 12 hours not fully stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { makeS3 } from '../../common/aws.ts';
import { systemClock } from '../../common/clock.ts';
import { makeFirehose } from '../../common/firehose.ts';
import { makeLogger } from '../../common/log.ts';
import type { SourceName } from '../../common/types.ts';
import { candleClose, candleReply, coinbaseGap } from '../../fakes/candles.ts';
import { renderKraken, venuePrice } from '../../fakes/formats.ts';
import { serializeEnvelope, type RawEnvelope } from '../../ingest/archive/envelope.ts';
import { makeFakeApi, type FakeApi } from '../../fakes/server.ts';
import { makeFirehoseArchive } from '../../ingest/archive/firehose.ts';
import { runCandles, warmUp, type CandleDeps } from '../../ingest/candle-backfill.ts';
import type { Rejection } from '../../ingest/sources/types.ts';
import { makeHttp } from '../../ingest/http.ts';
import { makeS3ArchiveStore } from '../../ingest/archive/store.ts';
import { runReplay, type ReplayOptions } from '../../ingest/replay/replay.ts';
import { makeQuestdbStore } from '../../ingest/store.ts';
import { makeDb, type Db } from '../../sql/db.ts';
import { makeIlp, type Ilp } from '../../sql/ilp.ts';
import { waitForWal } from '../../sql/wal.ts';
import { envelope } from '../unit/ingest/helpers.ts';
import { keyAt } from '../unit/replay/archive-store.ts';
import { archivedEnvelopes, fakeUrls, startPrivateStack } from './ingest-support.ts';
import { dropDays } from './replay-support.ts';
import { waitFor } from './stack-env.ts';

const MIN = 60_000;
const SEED = 23;
const started = Math.floor(Date.now() / MIN) * MIN;
const from = started - 400 * MIN;
const to = started - 5 * MIN;
let stack: Awaited<ReturnType<typeof startPrivateStack>>;
let fake: FakeApi;
let db: Db;
let ilp: Ilp;
let deps: CandleDeps;
let fetches: string[] = [];

beforeAll(async () => {
  stack = await startPrivateStack(40);
  fake = makeFakeApi({ seed: SEED, clock: systemClock });
  const urls = fakeUrls(await fake.start(0));
  const config = { ...stack.config };
  for (const name of ['kraken', 'bitstamp', 'coinbase_exchange', 'binance'] as const)
    Object.assign(config, { [`${name.toUpperCase()}_URL`]: urls[name] });
  db = makeDb(config, 2);
  ilp = await makeIlp(config);
  const opts = { clock: systemClock, connectTimeoutMs: 2_000, bodyTimeoutMs: 5_000, maxBytes: 1 << 20 };
  const http = makeHttp({ ...opts, maxAttempts: 2, baseDelayMs: 100 });
  const firehose = makeFirehose(config);
  deps = {
    http: { fetchAttempts: (url, h, d, stop) => (fetches.push(url), http.fetchAttempts(url, h, d, stop)) },
    archive: makeFirehoseArchive({ firehose, stream: config.FIREHOSE_STREAM }),
    store: makeQuestdbStore(ilp),
    db,
    config,
    clock: systemClock,
  };
}, 120_000);
afterAll(async () => {
  await ilp?.close();
  await db?.end();
  await fake?.stop();
  await stack?.stop();
}, 60_000);

type Row = { ts: Date; source: string; currency: string; rate: number };
const rows = async (source: string) =>
  (
    await db.query<Row>(
      'SELECT ts, source, currency, rate FROM rates WHERE source = $1 AND ts >= $2 ORDER BY ts',
      [source, new Date(started - 13 * 60 * MIN).toISOString()],
    )
  ).map((r) => [r.ts.getTime(), r.currency, r.rate] as const);
const everything = async (): Promise<Record<string, unknown[]>> =>
  Object.fromEntries(
    await Promise.all(
      ['kraken', 'bitstamp', 'coinbase_exchange', 'binance'].map(async (s) => [s, await rows(s)]),
    ),
  );
/** The closed minutes [a, b) the fake serves for a venue, with their closes. */
const expected = (venue: SourceName, quote: string, a: number, b: number) => {
  const out: (readonly [number, string, number])[] = [];
  for (let m = a; m < b; m += MIN)
    if (venue !== 'coinbase_exchange' || !coinbaseGap(SEED, m))
      out.push([m, quote, candleClose(SEED, venue, quote, m, Infinity)]);
  return out;
};
const settle = (source: string, n: number) =>
  waitFor(async () => (await rows(source)).length === n, 30_000, `${n} ${source} rows`);
/** replay-s3 of the stack's archive into its QuestDB, without force or saved progress. */
async function replay(opts: Omit<ReplayOptions, 'force' | 'resumable' | 'fresh'>) {
  const s3 = makeS3(stack.config);
  try {
    return await runReplay(
      { ...opts, force: false, resumable: false, fresh: false },
      {
        db,
        store: makeQuestdbStore(ilp),
        archive: makeS3ArchiveStore(s3, stack.config.RAW_BUCKET),
        prefix: stack.config.RAW_PREFIX,
        archiveName: 'test',
        clock: systemClock,
      },
    );
  } finally {
    s3.destroy();
  }
}

describe('candles backfill', () => {
  it('warm-up fills a venue without rows in the last 12 h, and fetches nothing once it has them', async () => {
    const log = makeLogger('test', 'warn');
    const polling = (SOURCES: SourceName[]) => ({ ...deps.config, SOURCES });
    // Both starts at the same minute: a minute turning between them would leave the newest one to fetch.
    const at = Date.now();
    const clock = { ...systemClock, now: () => at };
    await warmUp({ ...deps, clock, log, config: polling(['binance', 'coinbase']) });
    await settle('binance', 2 * 720);
    for (const quote of ['USDC', 'USDT']) {
      const got = (await rows('binance')).filter((r) => r[1] === quote);
      expect(got).toEqual(expected('binance', quote, got[0]![0], got[0]![0] + 720 * MIN));
      expect(got[0]![0]).toBeGreaterThanOrEqual(started - 720 * MIN);
    }
    expect(fetches.filter((u) => u.includes('/klines')).length).toBe(2);
    fetches = [];
    await warmUp({ ...deps, clock, log, config: polling(['binance']) });
    expect(fetches).toEqual([]);
  }, 60_000);

  it('archives every page raw and writes every closed minute once; run twice, rates do not change', async () => {
    const run = (venue: SourceName, pair: string) => runCandles({ venue, pairs: [pair], from, to }, deps);
    const bitstamp = await run('bitstamp', 'btcusd');
    const coinbase = await run('coinbase_exchange', 'BTC-USD');
    const kraken = await run('kraken', 'XBTUSD');
    expect(bitstamp).toMatchObject({ pages: 1, rows: 395, stored: 0, rejected: 0 });
    // 395 minutes at 300 a page: two pages, Coinbase's missing minutes simply absent.
    const cb = expected('coinbase_exchange', 'USD', from, to);
    expect(coinbase).toMatchObject({ pages: 2, rows: cb.length, stored: 0, rejected: 0 });
    expect(kraken.pages).toBe(1);
    await settle('coinbase_exchange', cb.length);
    await settle('bitstamp', 395);
    expect(await rows('bitstamp')).toEqual(expected('bitstamp', 'USD', from, to));
    expect(await rows('coinbase_exchange')).toEqual(cb);
    // Kraken answers every minute since `since`; only the asked ones are written.
    expect(await rows('kraken')).toEqual(expected('kraken', 'USD', from, to));

    const s3 = makeS3(stack.config);
    await waitFor(
      async () => (await archivedEnvelopes(s3, stack.config, started, Infinity)).envelopes.length >= 6,
      30_000,
      'the archived pages',
    );
    const { envelopes, duplicateIds } = await archivedEnvelopes(s3, stack.config, started, Infinity);
    expect(duplicateIds).toEqual([]);
    expect(envelopes.every((e) => e.candles !== undefined && e.status === 200)).toBe(true);
    expect(envelopes.map((e) => e.source).sort()).toEqual([
      'binance',
      'binance',
      'bitstamp',
      'coinbase_exchange',
      'coinbase_exchange',
      'kraken',
    ]);
    s3.destroy();

    const before = await everything();
    const again = [
      await run('bitstamp', 'btcusd'),
      await run('coinbase_exchange', 'BTC-USD'),
      await run('kraken', 'XBTUSD'),
    ];
    // Pages whose minutes are all stored are not fetched; a Coinbase page with a missing minute is (and writes nothing).
    const gapped = [from, from + 300 * MIN].filter((a) => {
      const b = Math.min(to, a + 300 * MIN);
      return expected('coinbase_exchange', 'USD', a, b).length < (b - a) / MIN;
    });
    expect(again.map((c) => [c.pages, c.rows])).toEqual([
      [0, 0],
      [gapped.length, 0],
      [0, 0],
    ]);
    expect(await everything()).toEqual(before);
  }, 120_000);

  it('replay-s3 rebuilds exactly the candle rows from the archive', async () => {
    const before = await everything();
    await dropDays(stack.config, db, started - 13 * 60 * MIN, Date.now() + MIN);
    const summary = await replay({
      ...{ from: started, to: Math.floor(Date.now() / MIN) * MIN + 2 * MIN, sources: null },
      ...{ slackMs: 3_600_000, batchRows: 2_000, concurrency: 4 },
    });
    expect(summary.counters.envelopes).toBeGreaterThanOrEqual(6);
    for (const [source, list] of Object.entries(before)) await settle(source, list.length);
    expect(await everything()).toEqual(before);
  }, 120_000);

  it('replay-s3 never lets a candle page replace the tickers of an earlier batch still being written', async () => {
    // Kraken tickers at T, T+1, T+2, then at T+3 a candle page of those minutes: each minute its own batch.
    const T = Date.UTC(2025, 0, 7, 10, 0);
    const api = 'https://api.kraken.com/0/public';
    const ohlc = `${api}/OHLC?pair=XBTUSD&interval=1&since=${(T - MIN) / 1000}`;
    const envs = [0, 1, 2].map((i) =>
      envelope('kraken', T + i * MIN, {
        body: renderKraken(T + i * MIN, SEED, ['XBTUSD'])!,
      }),
    );
    const page = candleReply('kraken', new URL(ohlc), T + 3 * MIN + 1_000, SEED).body;
    envs.push({
      ...envelope('kraken', T + 3 * MIN, { body: page }),
      url: ohlc,
      candles: { from: T, to: T + 3 * MIN },
    });
    await dropDays(stack.config, db, T, T + 4 * MIN);
    const s3 = makeS3(stack.config);
    for (const e of envs)
      await s3.send(
        new PutObjectCommand({
          Bucket: stack.config.RAW_BUCKET,
          Key: keyAt(Date.parse(e.fetchedAt) + 1_000, e.id),
          Body: serializeEnvelope(e),
        }),
      );
    s3.destroy();
    await replay({
      from: T,
      to: T + 4 * MIN,
      sources: ['kraken'],
      slackMs: 10 * MIN,
      batchRows: 1,
      concurrency: 1,
    });
    await waitForWal(db, ['rates']);
    const minutes = [0, 1, 2].map((i) => T + i * MIN);
    const tickers = minutes.map((m) => [m, 'USD', venuePrice(SEED, 'kraken', 'USD', m)] as const);
    expect(minutes.map((m) => candleClose(SEED, 'kraken', 'USD', m, Infinity))).not.toEqual(
      tickers.map((t) => t[2]),
    );
    const stored = await db.query<Row>(
      "SELECT ts, source, currency, rate FROM rates WHERE source = 'kraken' AND ts >= $1 AND ts < $2 ORDER BY ts",
      [new Date(T).toISOString(), new Date(T + 4 * MIN).toISOString()],
    );
    expect(stored.map((r) => [r.ts.getTime(), r.currency, r.rate])).toEqual(tickers);
  }, 120_000);

  it('warm-up asks Kraken for no minute older than it serves, even as the minute turns, so its page is whole and not fetched again', async () => {
    await dropDays(stack.config, db, started - 13 * 60 * MIN, Date.now() + MIN);
    // This Kraken is a minute ahead of the warm-up's clock: the minute has turned by the time each pair is fetched.
    // The warm-up (a second between pairs) starts early enough in a minute that it does not turn a second time.
    const ahead = makeFakeApi({ seed: SEED, clock: { ...systemClock, now: () => Date.now() + MIN } });
    const config = { ...deps.config, KRAKEN_URL: fakeUrls(await ahead.start(0)).kraken };
    try {
      await waitFor(async () => Date.now() % MIN < 45_000, 20_000, 'a minute with 15 s left');
      fetches = [];
      await warmUp({ ...deps, config: { ...config, SOURCES: ['kraken'] }, log: makeLogger('test', 'warn') });
    } finally {
      await ahead.stop();
    }
    const asked = fetches.filter((u) => u.includes('/OHLC'));
    expect(asked).toHaveLength(3);
    // `since` is the minute before the first one wanted. Kraken serves its last 719 closed minutes; the warm-up
    // asks for 718, so a minute turning between its pairs' fetches (a second apart) leaves every page whole.
    const oldest = Math.min(...asked.map((u) => Number(new URL(u).searchParams.get('since')) * 1000 + MIN));
    expect(oldest).toBeGreaterThanOrEqual(started - 718 * MIN);
    await settle('kraken', 3 * 718);
    const again = await runCandles(
      { venue: 'kraken', pairs: ['XBTUSD', 'XBTUSDC', 'XBTUSDT'], from: oldest, to: oldest + 718 * MIN },
      deps,
    );
    expect(again).toMatchObject({ pages: 0, skipped: 3 });
  }, 60_000);

  it("hands each page's rejections to onPage, so a venue out of reach says why", async () => {
    // Port 9 (discard) has no listener here: the fetch is refused, and that is the page's rejection.
    const config = { ...deps.config, BITSTAMP_URL: 'http://127.0.0.1:9/bitstamp/api/v2/ticker/' };
    const seen: Rejection[][] = [];
    const span = { from: started - 3000 * MIN, to: started - 2990 * MIN };
    const c = await runCandles(
      { venue: 'bitstamp', pairs: ['btcusd'], ...span },
      { ...deps, config, onPage: (_c, _done, rejections) => seen.push(rejections) },
    );
    expect(c).toMatchObject({ pages: 1, rows: 0, rejected: 1 });
    expect(seen).toEqual([
      [expect.objectContaining({ reason: 'network', detail: expect.stringMatching(/ECONNREFUSED/) })],
    ]);
  }, 60_000);

  it('warm-up stops after the page in hand when the poller stops, and the next start fetches the rest', async () => {
    await dropDays(stack.config, db, started - 13 * 60 * MIN, Date.now() + MIN);
    const stop = new AbortController();
    const archive = { put: async (b: RawEnvelope[]) => (await deps.archive.put(b), stop.abort()) };
    const config = { ...deps.config, SOURCES: ['kraken', 'bitstamp'] as SourceName[] };
    const at = Date.now();
    const clock = { ...systemClock, now: () => at }; // both starts in one minute: the same pages
    fetches = [];
    const logged: string[] = [];
    const log = makeLogger('test', 'info', { write: (line) => void logged.push(line) });
    await warmUp({ ...deps, archive, clock, config, log, signal: stop.signal });
    // Kraken has three pairs, a page each, a second apart: only the first page was fetched, and Bitstamp not at all.
    expect(fetches).toHaveLength(1);
    expect(fetches[0]).toMatch(/OHLC/);
    // What it did before the stop is logged as done; Bitstamp, never started, is not.
    const said = logged.map((line) => JSON.parse(line) as { msg: string; venue?: string; pages?: number });
    expect(said.filter((l) => l.msg.startsWith('warm-up'))).toEqual([
      expect.objectContaining({ msg: 'warm-up: candles of the last 12 h', venue: 'kraken', pages: 1 }),
    ]);
    // The next start skips the page stored, and fetches Kraken's two other pairs and Bitstamp's five.
    await settle('kraken', 718);
    fetches = [];
    await warmUp({ ...deps, clock, config, log });
    const pairs = fetches.map((u) => /pair=(\w+)|ohlc\/(\w+)/.exec(u)?.slice(1).join(''));
    expect(pairs).toEqual(['XBTUSDC', 'XBTUSDT', 'btcusd', 'btceur', 'btcgbp', 'btcusdc', 'btcusdt']);
    expect(JSON.parse(logged.at(-1)!)).toMatchObject({ venue: 'bitstamp', pages: 5, skipped: 0 });
  }, 60_000);
});
