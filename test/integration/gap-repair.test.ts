/**
 * The gap-repair job on the real QuestDB and emulator. The real poller polls the fake APIs and archives every
 * response, but its QuestDB writes of some random minutes are lost; one minute is not polled at all and one gets
 * only HTTP 500s. The job must bring back exactly the lost minutes (rates and polls), change nothing else, and
 * record the unpolled minute as missing and the failed one as rejected — the missing one searched once more after
 * the arrival slack, then never again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { makeLogger } from '../../common/log.ts';
import type { Rate } from '../../common/types.ts';
import { makeGapRepair } from '../../jobs/gap-repair.ts';
import { FILLED } from '../../jobs/gaps.ts';
import { TABLES, writeRows } from '../../sql/tables.ts';
import { rateKey } from '../../ingest/replay/minutes.ts';
import { makeS3ArchiveStore } from '../../ingest/archive/store.ts';
import type { Batch } from '../../ingest/store.ts';
import { makeDb } from '../../sql/db.ts';
import { makeIlp, type Ilp } from '../../sql/ilp.ts';
import { makeFakeApi, type FakeApi } from '../../fakes/server.ts';
import { makeManualClock } from '../support/clocks.ts';
import {
  countRows,
  makeGappyPoller,
  rekeyToSimulatedArrival,
  snapshot,
  type Snapshot,
} from './replay-support.ts';
import { testConfig, waitFor } from './stack-env.ts';

const MIN = 60_000;
const H = 3_600_000;
const N = 20;
const config = testConfig({ SOURCES: 'blockchain,coingecko' });
const db = makeDb(config, 2);
const s3 = makeS3(config);
const log = makeLogger('gap-repair-test', 'silent');
// An hour of 2034 of this run's own (no other test writes there), on whole minutes.
const from = Date.UTC(2034, 0, 1) + Math.floor(Math.random() * 8000) * H;
const to = from + N * MIN;
const pick = (xs: number[], k: number) => [...xs].sort(() => Math.random() - 0.5).slice(0, k);
const [skipped, failed, ...rest] = pick(
  [...Array(N - 2).keys()].map((i) => i + 2),
  7,
) as [number, number, ...number[]];
const lost = { blockchain: new Set(rest.slice(0, 3)), coingecko: new Set(rest.slice(2, 5)) };

let fake: FakeApi;
let ilp: Ilp;
let held: Batch[] = [];
let before: Snapshot;
let opened = 0;

beforeAll(async () => {
  const fakeClock = makeManualClock(0);
  fake = makeFakeApi({ seed: 5, clock: fakeClock });
  const base = await fake.start(0);
  const clock = makeManualClock(from);
  const since = Date.now();
  const t = await makeGappyPoller({
    config,
    base,
    clock,
    sources: ['blockchain', 'coingecko'],
    hold: (minute, source) => lost[source as keyof typeof lost]?.has((minute - from) / MIN) ?? false,
  });
  for (let i = 0; i < N; i++) {
    if (i === skipped) continue;
    clock.set(from + i * MIN + 1_000);
    fakeClock.set(clock.now());
    if (i === failed) fake.inject('coingecko', { kind: 'status', status: 500 }, 3);
    await t.poller.pollRound(from + i * MIN);
  }
  await t.close();
  held = t.held;
  await rekeyToSimulatedArrival(s3, config, { from, to }, since);
  const polls = 2 * (N - 1) + 2 - held.length; // the 500 minute made three attempts
  await waitFor(
    async () => (await countRows(db, 'polls', from, to)) === polls,
    30_000,
    `${polls} polls rows`,
  );
  before = await snapshot(db, from, to);
  ilp = await makeIlp(config);
}, 60_000);
afterAll(async () => {
  await ilp?.close();
  await fake?.stop();
  await db.end();
  s3.destroy();
});

const repairAt = (now: number) =>
  makeGapRepair({
    db,
    ilp,
    clock: makeManualClock(now),
    config,
    openArchive: () => {
      const store = makeS3ArchiveStore(s3, config.RAW_BUCKET);
      return { store: { list: store.list, open: (k) => (opened++, store.open(k)) }, close: () => {} };
    },
  })({ window: { start: from, end: to }, signal: new AbortController().signal, log });

type GapRow = {
  ts: Date;
  source: string;
  currency: string;
  status: string;
  final: boolean;
  reason: string;
  checked_at: Date;
};
const gaps = () =>
  db.query<GapRow>(
    'SELECT ts, source, currency, status, final, reason, checked_at FROM gaps WHERE ts >= $1 AND ts < $2',
    [new Date(from).toISOString(), new Date(to).toISOString()],
  );

describe('gap repair', () => {
  it('refills exactly the lost minutes from the archive, and records what it could not', async () => {
    const heldRates: Rate[] = held.flatMap((b) => b.rates ?? []);
    expect(heldRates.length).toBeGreaterThan(0);
    const run = await repairAt(to + 15 * MIN);
    expect(run.rows).toBe(heldRates.length);

    await waitFor(
      async () => (await countRows(db, 'rates', from, to)) === before.rates.length + heldRates.length,
      30_000,
      'repaired rates',
    );
    const after = await snapshot(db, from, to);
    // Nothing that was there changed; what was lost came back with the poller's own values.
    const rows = (s: Snapshot) =>
      new Map(s.rates.map((r) => [`${String(r[0])}|${String(r[1])}|${String(r[2])}`, r]));
    const [a, b] = [rows(after), rows(before)];
    for (const [k, r] of b) expect(a.get(k)).toEqual(r);
    const added = [...a.keys()].filter((k) => !b.has(k)).sort();
    expect(added).toEqual(
      heldRates.map((r) => `${new Date(r.ts).toISOString()}|${r.source}|${r.currency}`).sort(),
    );
    for (const r of heldRates)
      expect(a.get(`${new Date(r.ts).toISOString()}|${r.source}|${r.currency}`)?.slice(3, 4)).toEqual([
        r.rate,
      ]);
    await waitFor(
      async () => (await countRows(db, 'polls', from, to)) === before.polls.length + held.length,
      30_000,
      'repaired polls',
    );
    const ids = (
      await db.query<{ archive_id: string }>('SELECT archive_id FROM polls WHERE ts >= $1 AND ts < $2', [
        new Date(from).toISOString(),
        new Date(to).toISOString(),
      ])
    ).map((p) => p.archive_id);
    expect(ids).toEqual(expect.arrayContaining(held.flatMap((h) => h.polls ?? []).map((p) => p.archiveId)));
    expect(after.currencies).toEqual(before.currencies);

    const series = { blockchain: new Set<string>(), coingecko: new Set<string>() };
    for (const r of [...before.rates, ...heldRates.map((x) => [0, x.source, x.currency])])
      series[r[1] as keyof typeof series].add(String(r[2]));
    await waitFor(async () => (await gaps()).length > 0, 20_000, 'gaps recorded');
    const recorded = new Map((await gaps()).map((g) => [rateKey({ ...g, ts: g.ts.getTime() }), g]));
    const expected = new Map<string, [string, boolean]>();
    for (const r of heldRates) expected.set(rateKey(r), ['repaired', true]);
    for (const [source, codes] of Object.entries(series))
      for (const currency of codes)
        expected.set(rateKey({ ts: from + skipped * MIN, source, currency }), ['missing', false]);
    for (const currency of series.coingecko)
      expected.set(rateKey({ ts: from + failed * MIN, source: 'coingecko', currency }), ['rejected', true]);
    expect(new Map([...recorded].map(([k, g]) => [k, [g.status, g.final]]))).toEqual(expected);
    for (const [k, g] of recorded) if (g.status === 'rejected') expect(g.reason, k).toMatch(/^http_status/);
  });

  it('does not search a missing minute again until the arrival slack has passed, then once, for good', async () => {
    const byKey = async () => new Map((await gaps()).map((g) => [rateKey({ ...g, ts: g.ts.getTime() }), g]));
    const first = await byKey();
    opened = 0;
    expect(await repairAt(to + 75 * MIN)).toEqual({ rows: 0 });
    expect(opened).toBe(0);
    expect(await byKey()).toEqual(first);

    // A row for one missing minute is written by other means, as the warm-up writes a candle page's: the next run
    // closes that gap without searching the archive, and leaves the others young.
    const filled = rateKey({ ts: from + skipped * MIN, source: 'blockchain', currency: 'USD' });
    expect(first.get(filled)?.status).toBe('missing');
    const row = { ts: from + skipped * MIN, source: 'blockchain', currency: 'USD', rate: 1, quoteTs: null };
    await ilp.write((w) => writeRows(w, TABLES.rates, [row]));
    expect(await repairAt(to + 80 * MIN)).toEqual({ rows: 0 });
    expect(opened).toBe(0);
    await waitFor(async () => (await byKey()).get(filled)?.final === true, 20_000, 'the filled gap closed');
    const closed = await byKey();
    expect([closed.get(filled)?.status, closed.get(filled)?.reason]).toEqual(['repaired', FILLED]);
    for (const [k, g] of closed) if (k !== filled) expect(g, k).toEqual(first.get(k));

    expect(await repairAt(from + skipped * MIN + 25 * H)).toEqual({ rows: 0 });
    expect(opened).toBeGreaterThan(0);
    await waitFor(async () => (await gaps()).every((g) => g.final), 20_000, 'missing minutes final');
    for (const [k, g] of await byKey())
      if (k !== filled && first.get(k)?.status === 'missing')
        expect([g.status, g.reason], k).toEqual(['missing', expect.stringMatching(/no response/)]);

    opened = 0;
    expect(await repairAt(from + skipped * MIN + 26 * H)).toEqual({ rows: 0 });
    expect(opened).toBe(0);
  });
});
