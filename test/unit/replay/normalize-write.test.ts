/**
 * Replay's normalization against the poller's own loop (the same rows from the same envelopes, the jump check
 * included), its resumable state, and the choice of rows to write.
 */
import { describe, expect, it } from 'vitest';
import type { Currency, Poll, Rate, RejectionRow } from '../../../common/types.ts';
import type { RawEnvelope } from '../../../ingest/archive/envelope.ts';
import { describeCurrency } from '../../../ingest/currencies.ts';
import { advance, normalize, rejectionRows, type Previous } from '../../../ingest/normalize.ts';
import { makeReplayNormalizer, pollKey, rateKey } from '../../../ingest/replay/minutes.ts';
import { selectRows } from '../../../ingest/replay/writer.ts';
import { adapterFor } from '../../../ingest/sources/index.ts';
import { renderBlockchain } from '../../../fakes/formats.ts';
import { envelope } from '../ingest/helpers.ts';

const MIN = 60_000;
const T = Date.UTC(2031, 4, 6, 7, 0);

/** Blockchain bodies for minutes 0..n-1, USD multiplied by `jump` at minute `at` (an absurd move). */
function minutes(n: number, jump = { at: -1, factor: 1 }): RawEnvelope[] {
  return Array.from({ length: n }, (_, i) => {
    const body = JSON.parse(renderBlockchain(T + i * MIN, 3, { codes: ['USD', 'EUR'] })) as Record<
      string,
      { last: number }
    >;
    if (i === jump.at) body.USD!.last *= jump.factor;
    return envelope('blockchain', T + i * MIN, { body: JSON.stringify(body) });
  });
}

/** What the poller does with the same envelopes (ingest/poller.ts, pollSource). */
function pollerWay(envs: RawEnvelope[]) {
  const prev = new Map<string, Previous>();
  const known = new Set<string>();
  const out = {
    polls: [] as Poll[],
    rates: [] as Rate[],
    currencies: [] as Currency[],
    rejections: [] as RejectionRow[],
  };
  for (const env of envs) {
    const n = normalize(env, adapterFor(env.source), prev);
    out.polls.push(n.poll);
    out.rejections.push(...rejectionRows(n.poll, n.rejections));
    advance(prev, n.rates);
    for (const r of n.rates) {
      out.rates.push(r);
      if (!known.has(r.currency)) {
        known.add(r.currency);
        out.currencies.push(describeCurrency(r.currency, Date.parse(env.minute), env.source));
      }
    }
  }
  return out;
}

function replayWay(envs: RawEnvelope[], split = envs.length) {
  const out = {
    polls: [] as Poll[],
    rates: [] as Rate[],
    currencies: [] as Currency[],
    rejections: [] as RejectionRow[],
  };
  const firstSeen = new Map<string, number>();
  let n = makeReplayNormalizer({ previous: {}, firstSeen });
  envs.forEach((env, i) => {
    // A kill and resume at `split`: a new normalizer from the saved (JSON) state.
    if (i === split) n = makeReplayNormalizer({ previous: JSON.parse(JSON.stringify(n.state())), firstSeen });
    const o = n.normalizeMinute(Date.parse(env.minute), [env]);
    out.polls.push(...o.polls);
    out.rates.push(...o.rates);
    out.currencies.push(...o.currencies);
    out.rejections.push(...o.rejections);
  });
  return out;
}

describe('replay normalization', () => {
  it('gives the poller’s rows: polls, rates, rejections, first-seen currencies, an absurd jump rejected alike', () => {
    const envs = minutes(6, { at: 3, factor: 10 });
    const poller = pollerWay(envs);
    expect(poller.rates.filter((r) => r.ts === T + 3 * MIN).map((r) => r.currency)).toEqual(['EUR']);
    expect(poller.rejections.map((r) => [r.ts, r.currency, r.reason])).toEqual([
      [T + 3 * MIN, 'USD', 'absurd_jump'],
    ]);
    expect(replayWay(envs)).toEqual(poller);
  });

  it('resumed from its saved state, decides exactly as an uninterrupted run', () => {
    const envs = minutes(6, { at: 4, factor: 10 });
    expect(replayWay(envs, 4)).toEqual(replayWay(envs));
    expect(replayWay(envs, 4).rates.some((r) => r.ts === T + 4 * MIN && r.currency === 'USD')).toBe(false);
  });

  it('writes a currency only when unknown or seen earlier than recorded', () => {
    const [e] = minutes(1);
    const firstSeen = new Map([
      ['USD', T - MIN],
      ['EUR', T + MIN],
    ]);
    const o = makeReplayNormalizer({ previous: {}, firstSeen }).normalizeMinute(T, [e!]);
    expect(o.currencies.map((c) => [c.code, c.firstSeen, c.firstSource])).toEqual([['EUR', T, 'blockchain']]);
    expect(firstSeen.get('EUR')).toBe(T);
  });

  it('collapses one key given twice in a minute (two pollers) to the later in order', () => {
    const [a] = minutes(1);
    const b = { ...a!, id: `${a!.id}-b`, poller: 'two', fetchedAt: new Date(T + 2_000).toISOString() };
    const o = makeReplayNormalizer({ previous: {}, firstSeen: new Map() }).normalizeMinute(T, [a!, b]);
    expect(o.rates).toHaveLength(2);
    expect(o.polls.map((p) => p.poller)).toEqual(['test', 'two']);
  });

  it("refuses a second poller's absurd rate in a minute as that poller did live", () => {
    const [m0, m1] = minutes(2);
    const body = JSON.parse(m1!.body) as Record<string, { last: number }>;
    body.USD!.last *= 10;
    const b = { ...m1!, id: `${m1!.id}-b`, poller: 'two', body: JSON.stringify(body) };
    const live = pollerWay([m0!, b]); // the second poller's own memory: minute 0
    const replayed = makeReplayNormalizer({ previous: {}, firstSeen: new Map() });
    replayed.normalizeMinute(T, [m0!]);
    const o = replayed.normalizeMinute(T + MIN, [m1!, b]);
    expect(live.rejections.map((r) => [r.currency, r.reason])).toEqual([['USD', 'absurd_jump']]);
    expect(o.rejections.map((r) => [r.currency, r.reason])).toEqual([['USD', 'absurd_jump']]);
    expect(o.rates.find((r) => r.currency === 'USD')!.rate).toBe(JSON.parse(m1!.body).USD.last);
  });
});

describe('selectRows', () => {
  const o = makeReplayNormalizer({ previous: {}, firstSeen: new Map() }).normalizeMinute(T, minutes(1));
  const spoiled = envelope('blockchain', T, { body: '{"USD":{"last":5},"EUR":{"last":"x"}}' });
  const bad = makeReplayNormalizer({ previous: {}, firstSeen: new Map() }).normalizeMinute(T, [spoiled]);
  const usd = o.rates.find((r) => r.currency === 'USD')!;
  const none = { rates: new Set<string>(), polls: new Set<string>() };

  it('without force writes what is absent only; a second pass writes nothing', () => {
    expect(selectRows([o], none, { force: false }).batch.rates).toHaveLength(2);
    const stored = { rates: new Set(o.rates.map(rateKey)), polls: new Set(o.polls.map(pollKey)) };
    const again = selectRows([o], stored, { force: false });
    expect([again.batch.rates.length, again.batch.polls.length, again.kept]).toEqual([0, 0, 2]);
  });

  it("writes a poll's rejections with its row, and leaves them when the row is stored", () => {
    expect(selectRows([bad], none, { force: false }).batch.rejections).toEqual(bad.rejections);
    expect(bad.rejections.map((r) => [r.currency, r.reason])).toEqual([['EUR', 'not_a_number']]);
    const stored = { rates: new Set<string>(), polls: new Set(bad.polls.map(pollKey)) };
    expect(selectRows([bad], stored, { force: false }).batch.rejections).toEqual([]);
  });

  it('with force rewrites every row and counts stored rows the archive no longer gives', () => {
    const gone = rateKey({ ts: T, source: 'blockchain', currency: 'XYZ' });
    const elsewhere = rateKey({ ts: T, source: 'coinbase', currency: 'XYZ' });
    const stored = { rates: new Set([rateKey(usd), gone, elsewhere]), polls: new Set<string>() };
    const s = selectRows([o], stored, { force: true });
    expect([s.batch.rates.length, s.replaced, s.stale]).toEqual([2, 1, [gone]]);
  });

  it('writes a candle row only where no poll of the batch and no stored row gives its key, force or not', () => {
    const candle = (ts: number, rate: number): Rate => ({
      ts,
      source: 'blockchain',
      currency: 'USD',
      rate,
      quoteTs: null,
    });
    const [polled, free, held] = [candle(T, 1), candle(T - MIN, 2), candle(T - 2 * MIN, 3)];
    const page = {
      ...o,
      minute: T + MIN,
      rates: [],
      polls: [],
      currencies: [],
      candles: [polled, free, held, free],
    };
    const stored = { rates: new Set([rateKey(held)]), polls: new Set<string>() };
    for (const force of [false, true]) {
      const s = selectRows([o, page], stored, { force });
      expect(s.batch.rates.filter((r) => [polled, free, held].includes(r))).toEqual([free]);
      expect(s.batch.rates.find((r) => rateKey(r) === rateKey(polled))).toBe(usd);
    }
  });

  it('narrowed to the keys a gap repair asks for', () => {
    const s = selectRows([o], none, {
      force: false,
      only: { rate: (r) => r.currency === 'USD', poll: () => false },
    });
    expect([s.batch.rates, s.batch.polls]).toEqual([[usd], []]);
  });
});
