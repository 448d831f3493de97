/**
 * The poller on the real stack: N polls of every source against the fake APIs → exactly N rows per
 * (source, currency) in `rates`, and N envelopes per source in S3 whose bodies are byte-identical to what the
 * fake served. Two pollers at once change nothing in `rates`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { makeDb } from '../../sql/db.ts';
import { makeFakeApi, type FakeApi } from '../../fakes/server.ts';
import { makeManualClock } from '../support/clocks.ts';
import { archivedEnvelopes, expectExactly, makeTestPoller, ownRange } from './ingest-support.ts';
import { testConfig } from './stack-env.ts';

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
});
