/** Shared pieces of the ingest integration tests: a poller wired to the real services, and the exact checks. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './stack-env.ts';
export { startPrivateStack } from '../support/private-stack.ts';
import { fakeUrls } from '../support/fake-urls.ts';
export { fakeUrls };
import type { Db } from '../../sql/db.ts';
import type { FakeApi } from '../../fakes/server.ts';
import { expect } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import { readWholeArchive } from '../support/archive.ts';
import type { Config } from '../../common/config.ts';
import { makeFirehose } from '../../common/firehose.ts';
import { makeLogger } from '../../common/log.ts';
import type { Clock, SourceName } from '../../common/types.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { makeFirehoseArchive } from '../../ingest/archive/firehose.ts';
import type { RawEnvelope } from '../../ingest/archive/envelope.ts';
import { makeDelivery } from '../../ingest/delivery.ts';
import { makeHttp } from '../../ingest/http.ts';
import { makePoller } from '../../ingest/poller.ts';

type PollerDeps = Parameters<typeof makePoller>[0];
import { adapterFor } from '../../ingest/sources/index.ts';
import { makeSpool } from '../../ingest/spool.ts';
import { makeQuestdbStore, makeStoreDelivery, type Store } from '../../ingest/store.ts';

export const ALL_SOURCES: SourceName[] = ['blockchain', 'coinbase', 'coingecko', 'coindesk'];

/** A poller wired to the real QuestDB and Firehose of `config`, polling the fake at `base`. */
export async function makeTestPoller(opts: {
  config: Config;
  base: string;
  clock: Clock;
  pollerId?: string;
  sources?: SourceName[];
  spoolDir?: string;
  httpTimeoutMs?: number;
  /** In place of the spooling QuestDB delivery: for a test that loses writes on purpose. */
  store?: (write: Store['write']) => PollerDeps['store'];
}) {
  const { config, clock } = opts;
  const log = makeLogger(`poller-${opts.pollerId ?? 'test'}`, 'silent');
  const spoolDir = opts.spoolDir ?? mkdtempSync(join(tmpdir(), 'spool-'));
  const spool = makeSpool({ dir: spoolDir, maxBytes: 50_000_000 });
  const firehose = makeFirehose(config);
  const ilp = await makeIlp(config, { retryTimeoutMs: 500, requestTimeoutMs: 3_000 });
  const store = makeQuestdbStore(ilp);
  const archive = makeFirehoseArchive({ firehose, stream: config.FIREHOSE_STREAM, clock });
  const urls = fakeUrls(opts.base);
  const http = makeHttp({
    clock,
    connectTimeoutMs: 1_000,
    bodyTimeoutMs: opts.httpTimeoutMs ?? 2_000,
    maxBytes: 262_144,
    maxAttempts: 3,
    baseDelayMs: 1_000,
    random: () => 0.5,
  });
  const poller = makePoller({
    sources: (opts.sources ?? ALL_SOURCES).map((name) => ({
      name,
      adapter: adapterFor(name),
      url: urls[name],
      headers: {},
    })),
    http,
    archive: makeDelivery<RawEnvelope[]>({ channel: 'archive', spool, send: (b) => archive.put(b), log }),
    store: opts.store ? opts.store((b) => store.write(b)) : makeStoreDelivery({ spool, store, log }),
    clock,
    log,
    pollerId: opts.pollerId ?? 'test',
    intervalMs: 60_000,
    knownCurrencies: new Set(),
    previous: new Map(),
  });
  return {
    poller,
    spool,
    spoolDir,
    async close() {
      await http.close();
      await ilp.close().catch(() => {});
      firehose.destroy();
      spool.close();
    },
  };
}

/** Every envelope in the bucket whose minute lies in [from, to), by id (a duplicate id would be a double). */
export async function archivedEnvelopes(
  s3: S3Client,
  config: Config,
  from: number,
  to: number,
): Promise<{ envelopes: RawEnvelope[]; duplicateIds: string[] }> {
  const all = await readWholeArchive(s3, config.RAW_BUCKET, config.RAW_PREFIX);
  if (all.corrupt.length) throw new Error(all.corrupt.join('; '));
  const envelopes = all.envelopes.filter((e) => Date.parse(e.minute) >= from && Date.parse(e.minute) < to);
  const seen = new Set<string>();
  const duplicateIds: string[] = [];
  for (const e of envelopes) {
    if (seen.has(e.id)) duplicateIds.push(e.id);
    seen.add(e.id);
  }
  return { envelopes, duplicateIds };
}

/** A time range no other test uses: a random day in 2031. */
const taken: { from: number; to: number }[] = [];
/** A time range no other test of this process uses (a random stretch of 2031), so tests can share a database. */
export function ownRange(minutes: number): { from: number; to: number } {
  for (;;) {
    const from = Date.UTC(2031, 0, 1) + Math.floor(Math.random() * 360 * 24 * 60) * 60_000;
    const to = from + minutes * 60_000;
    // Two tests of one file share a private stack: their ranges (with an hour's margin) must not meet.
    if (taken.some((r) => from < r.to + 3_600_000 && to + 3_600_000 > r.from)) continue;
    taken.push({ from, to });
    return { from, to };
  }
}

type Row = { ts: Date; source: string; currency: string; rate: number };

/** What `rates` must hold: every valid body the fake served, parsed by the adapters. */
export function expectedRows(fake: FakeApi, from: number, to: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of fake.served) {
    if (!s.valid || s.minute < from || s.minute >= to) continue;
    const res = {
      status: s.status,
      headers: s.headers,
      body: s.body,
      url: fakeUrls('http://fake')[s.source],
    };
    for (const r of adapterFor(s.source).parse(res).rates)
      out.set(`${s.minute}|${s.source}|${r.currency}`, r.rate);
  }
  return out;
}

export async function storedRows(db: Db, from: number, to: number): Promise<Row[]> {
  return db.query<Row>(`SELECT ts, source, currency, rate FROM rates WHERE ts >= $1 AND ts < $2`, [
    new Date(from).toISOString(),
    new Date(to).toISOString(),
  ]);
}

/** The exact check: rows ≡ what was served, no key twice, N rows per (source, currency). */
export async function expectExactly(
  db: Db,
  fake: FakeApi,
  from: number,
  to: number,
  n: number | null,
): Promise<void> {
  const expected = expectedRows(fake, from, to);
  await waitFor(
    async () => (await storedRows(db, from, to)).length >= expected.size,
    30_000,
    `${expected.size} rates rows`,
  );
  const rows = await storedRows(db, from, to);
  const got = new Map<string, number>();
  for (const r of rows) {
    const key = `${r.ts.getTime()}|${r.source}|${r.currency}`;
    expect(got.has(key), `doubled ${key}`).toBe(false);
    got.set(key, r.rate);
  }
  expect(got).toEqual(expected);
  const perSeries = new Map<string, number>();
  for (const k of got.keys()) {
    const [, source, currency] = k.split('|');
    perSeries.set(`${source}|${currency}`, (perSeries.get(`${source}|${currency}`) ?? 0) + 1);
  }
  if (n !== null) for (const [series, count] of perSeries) expect(count, series).toBe(n);
}
