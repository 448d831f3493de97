/**
 * The poller on the real stack: N polls of every source against the fake APIs → exactly N rows per
 * (source, currency) in `rates`, and N envelopes per source in S3 whose bodies are byte-identical to what the
 * fake served. Two pollers at once change nothing in `rates`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { makeDb } from '../../sql/db.ts';
import { adapterFor } from '../../ingest/sources/index.ts';
import { makeFakeApi, type FakeApi } from '../fake/server.ts';
import { makeManualClock } from '../support/clocks.ts';
import { archivedEnvelopes, makeTestPoller } from './ingest-support.ts';
import { testConfig, waitFor } from './stack-env.ts';

const config = testConfig();
const db = makeDb(config, 2);
const s3 = makeS3(config);
afterAll(async () => {
  await db.end();
  s3.destroy();
});

/** A time range no other test uses: a random day in 2031. */
function ownRange(minutes: number): { from: number; to: number } {
  const from = Date.UTC(2031, 0, 1) + Math.floor(Math.random() * 360) * 86_400_000 + 60_000 * 7;
  return { from, to: from + minutes * 60_000 };
}

type Row = { ts: Date; source: string; currency: string; rate: number };

/** What `rates` must hold: every valid body the fake served, parsed by the adapters. */
function expectedRows(fake: FakeApi, from: number, to: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of fake.served) {
    if (!s.valid || s.minute < from || s.minute >= to) continue;
    for (const r of adapterFor(s.source).parse({ status: s.status, headers: s.headers, body: s.body }).rates)
      out.set(`${s.minute}|${s.source}|${r.currency}`, r.rate);
  }
  return out;
}

async function storedRows(from: number, to: number): Promise<Row[]> {
  return db.query<Row>(`SELECT ts, source, currency, rate FROM rates WHERE ts >= $1 AND ts < $2`, [
    new Date(from).toISOString(),
    new Date(to).toISOString(),
  ]);
}

/** The exact check: rows ≡ what was served, no key twice, N rows per (source, currency). */
async function expectExactly(fake: FakeApi, from: number, to: number, n: number): Promise<void> {
  const expected = expectedRows(fake, from, to);
  await waitFor(
    async () => (await storedRows(from, to)).length >= expected.size,
    30_000,
    `${expected.size} rates rows`,
  );
  const rows = await storedRows(from, to);
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
  for (const [series, count] of perSeries) expect(count, series).toBe(n);
}

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

    await expectExactly(fake, from, to, N);
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
    await expectExactly(fake, from, to, N);
    const { envelopes, duplicateIds } = await archivedEnvelopes(s3, config, from, to);
    expect(duplicateIds).toEqual([]);
    expect(envelopes.length).toBe(2 * 4 * N);
    expect(new Set(envelopes.map((e) => e.poller))).toEqual(new Set(['one', 'two']));
  });
});
