/**
 * The poller on the real stack: N polls of every source against the fake APIs → exactly N rows per
 * (source, currency) in `rates`, and N envelopes per source in S3 whose bodies are byte-identical to what the
 * fake served. Two pollers at once change nothing in `rates`. Every rejection is stored with its reason, and
 * the health page shows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeScaledClock } from '../../common/clock.ts';
import { makeLogger } from '../../common/log.ts';
import { makeDb } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { waitForWal } from '../../sql/wal.ts';
import { startPoller } from '../../ingest/main.ts';
import { makeQuestdbStore } from '../../ingest/store.ts';
import { makeApp } from '../../web/app.tsx';
import { fixedChecks } from '../../web/checks.ts';
import { makeFakeApi, type FakeApi } from '../../fakes/server.ts';
import { REJECTION_REASONS } from '../../ingest/sources/types.ts';
import { makeManualClock } from '../support/clocks.ts';
import { archivedEnvelopes, expectExactly, fakeUrls, makeTestPoller, ownRange } from './ingest-support.ts';
import { testConfig, waitFor } from './stack-env.ts';
import { waitForSettled } from './views-support.ts';

const config = testConfig();
const db = makeDb(config, 2);
const s3 = makeS3(config);
afterAll(async () => {
  await db.end();
  s3.destroy();
});

let fake: FakeApi;
let base: string;
const fakeClock = makeManualClock(0);
beforeAll(async () => {
  fake = makeFakeApi({ seed: 42, clock: fakeClock });
  base = await fake.start(0);
});
afterAll(() => fake.stop());

describe('ingest on the real stack', () => {
  it('N polls → exactly N rows per (source, currency), and N byte-identical envelopes per source in S3', async () => {
    const N = 5;
    const { from, to } = ownRange(N);
    const clock = makeManualClock(from);
    const t = await makeTestPoller({ config, base, clock });
    for (let i = 0; i < N; i++) {
      clock.set(from + i * 60_000 + 1_000);
      fakeClock.set(clock.now());
      const summaries = await t.poller.pollRound(from + i * 60_000);
      expect(summaries.map((s) => [s.source, s.archive, s.store])).toEqual(
        ['blockchain', 'coinbase', 'coingecko', 'coindesk'].map((s) => [s, 'sent', 'sent']),
      );
    }
    await t.close();

    await expectExactly(db, fake, from, to, N);
    const perSource = new Map<string, number>();
    for (const s of fake.served.filter((x) => x.minute >= from && x.minute < to))
      perSource.set(s.source, (perSource.get(s.source) ?? 0) + 1);
    expect([...perSource.values()]).toEqual([N, N, N, N]);

    const { envelopes, duplicateIds } = await archivedEnvelopes(s3, config, from, to);
    expect(duplicateIds).toEqual([]);
    expect(envelopes.length).toBe(4 * N);
    const served = fake.served.filter((x) => x.minute >= from && x.minute < to);
    for (const s of served) {
      const e = envelopes.find((x) => x.source === s.source && Date.parse(x.minute) === s.minute);
      expect(e, `${s.source} ${new Date(s.minute).toISOString()} archived`).toBeDefined();
      expect(
        Buffer.from(e!.body, e!.bodyEncoding === 'base64' ? 'base64' : 'utf8').equals(Buffer.from(s.body)),
      ).toBe(true);
      expect(e!.status).toBe(s.status);
    }

    // Every poll is in `polls`, linked to its envelope.
    const polls = await db.query<{ source: string; archive_id: string; accepted: number }>(
      `SELECT source, archive_id, accepted FROM polls WHERE ts >= $1 AND ts < $2`,
      [new Date(from).toISOString(), new Date(to).toISOString()],
    );
    expect(polls.map((p) => p.archive_id).sort()).toEqual(envelopes.map((e) => e.id).sort());
  });

  it('two pollers at once: every minute still once per (source, currency); both responses archived', async () => {
    const N = 3;
    const { from, to } = ownRange(N);
    const c1 = makeManualClock(from);
    const c2 = makeManualClock(from);
    const a = await makeTestPoller({ config, base, clock: c1, pollerId: 'one' });
    const b = await makeTestPoller({ config, base, clock: c2, pollerId: 'two' });
    for (let i = 0; i < N; i++) {
      const t = from + i * 60_000;
      c1.set(t + 1_000);
      c2.set(t + 2_000);
      fakeClock.set(t + 1_500);
      await Promise.all([a.poller.pollRound(t), b.poller.pollRound(t)]);
    }
    await a.close();
    await b.close();
    await expectExactly(db, fake, from, to, N);
    const { envelopes, duplicateIds } = await archivedEnvelopes(s3, config, from, to);
    expect(duplicateIds).toEqual([]);
    expect(envelopes.length).toBe(2 * 4 * N);
    expect(new Set(envelopes.map((e) => e.poller))).toEqual(new Set(['one', 'two']));
  });

  it('a Coinbase self quote is filtered and counted; a failed poll has its reason; both show on the health page', async () => {
    const N = 2;
    const { from, to } = ownRange(N);
    const span = [new Date(from).toISOString(), new Date(to).toISOString()];
    const clock = makeManualClock(from);
    const t = await makeTestPoller({ config, base, clock, sources: ['blockchain', 'coinbase'] });
    // The first minute fails (404 is not retried: one attempt) and is polled again at the end, failing alike (a
    // restart's re-poll): DEDUP keeps one row of each, the rejections without a currency included.
    for (const i of [...Array.from({ length: N }, (_, k) => k), 0]) {
      if (i === 0) fake.inject('blockchain', { kind: 'status', status: 404 });
      clock.set(from + i * 60_000 + 1_000);
      fakeClock.set(clock.now());
      await t.poller.pollRound(from + i * 60_000);
    }
    await t.close();

    type PollRow = {
      ts: Date;
      source: string;
      rejected: number;
      reason: string | null;
      error: string | null;
    };
    const polls = async () =>
      db.query<PollRow>(
        `SELECT ts, source, rejected, reason, error FROM polls WHERE ts >= $1 AND ts < $2 ORDER BY ts, source`,
        span,
      );
    type RejectionRow = { ts: Date; source: string; currency: string | null; reason: string; detail: string };
    const rejections = async () =>
      db.query<RejectionRow>(
        `SELECT ts, source, currency, reason, detail FROM rejections WHERE ts >= $1 AND ts < $2 ORDER BY ts, source`,
        span,
      );
    // Every write acknowledged is applied: a doubled row would be there now.
    await waitForSettled(db, { tables: ['polls', 'rejections'], views: [] });

    // Coinbase: a clean poll row every minute; the self quote counted once per minute as filtered.
    const p = await polls();
    expect(p).toHaveLength(2 * N);
    expect(
      p.filter((r) => r.source === 'coinbase').map((r) => [r.rejected, r.reason, r.error || '']),
    ).toEqual(Array.from({ length: N }, () => [0, null, '']));
    // The failed blockchain poll: a reason from the fixed list, never NULL.
    const failed = p.find((r) => r.source === 'blockchain' && r.ts.getTime() === from);
    expect(failed).toMatchObject({ rejected: 1, reason: 'http_status' });
    const rows = await rejections();
    for (const r of rows) expect(REJECTION_REASONS).toContain(r.reason);
    expect(rows.map((r) => [r.ts.getTime(), r.source, r.currency, r.reason])).toEqual([
      [from, 'blockchain', null, 'http_status'],
      [from, 'coinbase', 'BTC', 'self_quote'],
      [from + 60_000, 'coinbase', 'BTC', 'self_quote'],
    ]);
    expect(rows[0]?.detail).toMatch(/^HTTP 404/);

    // The health page, on the same QuestDB: each (source, reason) of the last 24 hours, filtered or rejected.
    // The page's clock is at the rows' minutes (in 2031), not today's.
    const app = makeApp({ db, clock: makeManualClock(to + 60_000), checks: fixedChecks(true), config });
    const html = await (await app.request('/health')).text();
    const shown = [...html.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><td[^>]*>([^<]*)<\/td>/g)].map(
      (m) => m.slice(1, 4),
    );
    expect(shown).toContainEqual(['coinbase', 'self_quote', 'filtered']);
    expect(shown).toContainEqual(['blockchain', 'http_status', 'rejected']);
  });

  it('a starting poller takes the jump check up where QuestDB has it: a jump from the last hour is rejected', async () => {
    const { from } = ownRange(30);
    const minute = from + 20 * 60_000;
    // USD at 1, twenty minutes before: what the poller must remember (the fake serves about 60,000).
    const ilp = await makeIlp(config);
    const old = { ts: from, source: 'blockchain', currency: 'USD', rate: 1, quoteTs: null };
    await makeQuestdbStore(ilp).write({ rates: [old] });
    await ilp.close();
    await waitForWal(db, ['rates']);
    fakeClock.set(minute + 10_000);
    const clock = makeScaledClock({ speed: 1, simStart: minute + 10_000, realStart: Date.now() });
    const polling = {
      ...config,
      SOURCES: ['blockchain' as const],
      BLOCKCHAIN_URL: fakeUrls(base).blockchain,
    };
    const spool = { SPOOL_DIR: mkdtempSync(join(tmpdir(), 'spool-start-')) };
    const stop = await startPoller({ ...polling, ...spool }, makeLogger('poller', 'silent'), clock);
    type Poll = { reason: string; error: string };
    const poll = async () =>
      db.query<Poll>('SELECT reason, error FROM polls WHERE ts = $1 AND source = $2', [
        new Date(minute).toISOString(),
        'blockchain',
      ]);
    try {
      await waitFor(async () => (await poll()).length > 0, 20_000, 'the poll of the minute under way');
    } finally {
      await stop();
    }
    const [row] = await poll();
    expect(row?.reason).toBe('absurd_jump');
    expect(row?.error).toMatch(/^absurd_jump\(USD\): rate .+ the previous 1$/);
  });

  it('the five venues: a row per minute for each quote currency; a 451 is held an hour and shown as unavailable from here', async () => {
    const N = 3;
    const { from, to } = ownRange(N + 1);
    const clock = makeManualClock(from);
    const venues = ['kraken', 'bitstamp', 'coinbase_exchange', 'gemini', 'binance'] as const;
    const t = await makeTestPoller({ config, base, clock, sources: [...venues] });
    const round = async (i: number) => {
      clock.set(from + i * 60_000 + 1_000);
      fakeClock.set(clock.now());
      return (await t.poller.pollRound(from + i * 60_000)).map((s) => s.source);
    };
    for (let i = 0; i < N; i++) expect(await round(i)).toEqual(venues);
    fake.inject('binance', { kind: 'status', status: 451 });
    expect(await round(N)).toEqual(venues);
    // Binance is held for an hour after the 451; the others are polled as usual.
    expect(await round(N + 1)).toEqual(venues.filter((v) => v !== 'binance'));
    await t.close();

    await expectExactly(db, fake, from, to, null);
    const series = await db.query<{ source: string; currency: string; n: number }>(
      `SELECT source, currency, count() AS n FROM rates WHERE ts >= $1 AND ts < $2 ORDER BY source, currency`,
      [new Date(from).toISOString(), new Date(to).toISOString()],
    );
    expect(series.map((r) => [r.source, r.currency, Number(r.n)])).toEqual([
      ...['USD', 'USDC', 'USDT'].map((c) => ['binance', c, N]),
      ...['EUR', 'GBP', 'USD', 'USDC', 'USDT'].map((c) => ['bitstamp', c, N + 1]),
      ['coinbase_exchange', 'USD', N + 1],
      ['gemini', 'USD', N + 1],
      ...['USD', 'USDC', 'USDT'].map((c) => ['kraken', c, N + 1]),
    ]);

    await waitForSettled(db, { tables: ['polls'], views: [] });
    // The page's clock is at the rows' minutes (in 2031), not today's.
    const app = makeApp({ db, clock: makeManualClock(to + 60_000), checks: fixedChecks(true), config });
    const html = await (await app.request('/health')).text();
    expect(html).toMatch(/<th scope="row">binance<\/th>.*?unavailable from here \(HTTP 451\)/s);
  });
});
