/**
 * The poller's schedule and its per-poll order of work, on a manual clock with in-memory HTTP and deliveries:
 * an hour of intervals runs in milliseconds, and every call is recorded in the order it happened.
 */
import { describe, expect, it } from 'vitest';
import type { SourceName } from '../../../common/types.ts';
import type { RawEnvelope } from '../../../ingest/archive/envelope.ts';
import type { Delivery, Outcome } from '../../../ingest/delivery.ts';
import type { Attempt, Http } from '../../../ingest/http.ts';
import type { Previous } from '../../../ingest/normalize.ts';
import { makePoller, type PolledSource } from '../../../ingest/poller.ts';
import { adapterFor } from '../../../ingest/sources/index.ts';
import type { Batch } from '../../../ingest/store.ts';
import { BLOCKCHAIN_CODES, COINDESK_CODES } from '../../../fakes/currencies.ts';
import { renderBlockchain, renderCoinbase, renderCoindesk } from '../../../fakes/formats.ts';
import { makeManualClock } from '../../support/clocks.ts';
import { attempt, recordingLog } from './helpers.ts';

const SEED = 4;
const T0 = Date.UTC(2030, 6, 1, 10, 0); // an interval boundary
const MIN = 60_000;

type Call =
  | { kind: 'fetch'; source: string; at: number; deadline: number; stop?: AbortSignal }
  | { kind: 'archive'; envelopes: RawEnvelope[] }
  | { kind: 'store'; batch: Batch };

/** A poller over in-memory fakes; `answer` decides each fetch (it may move the clock, as a slow API would). */
function harness(
  opts: {
    start?: number;
    sources?: SourceName[];
    answer?: (source: SourceName, at: number) => Attempt[];
    known?: string[];
    afterRound?: (minute: number) => Promise<void>;
    outcome?: Outcome;
  } = {},
) {
  const clock = makeManualClock(opts.start ?? T0);
  const calls: Call[] = [];
  const { log, lines } = recordingLog();
  const render = (source: SourceName, minute: number) =>
    source === 'coindesk'
      ? renderCoindesk(minute, SEED)
      : source === 'coinbase'
        ? renderCoinbase(minute, SEED)
        : renderBlockchain(minute, SEED);
  const answer =
    opts.answer ??
    ((source: SourceName, at: number) => [
      attempt({ fetchedAt: at, body: render(source, Math.floor(at / MIN) * MIN) }),
    ]);
  const http: Http = {
    async fetchAttempts(url, _headers, deadline, stop) {
      const source = url as SourceName;
      calls.push({ kind: 'fetch', source, at: clock.now(), deadline, stop });
      return answer(source, clock.now());
    },
    close: async () => {},
  };
  const archive: Delivery<RawEnvelope[]> = {
    async deliver(envelopes) {
      calls.push({ kind: 'archive', envelopes });
      return opts.outcome ?? 'sent';
    },
    drain: async () => 0,
  };
  const store: Delivery<Batch> = {
    async deliver(batch) {
      calls.push({ kind: 'store', batch });
      return opts.outcome ?? 'sent';
    },
    drain: async () => 0,
  };
  const sources: PolledSource[] = (opts.sources ?? ['blockchain']).map((name) => ({
    name,
    adapter: adapterFor(name),
    url: name,
    headers: {},
  }));
  const previous = new Map<string, Map<string, Previous>>();
  const knownCurrencies = new Set(opts.known ?? []);
  // The fakes and the manual clock only ever queue microtasks, so `run` never yields to a timer: it is stopped
  // from inside, after `stopAfter` rounds.
  const abort = new AbortController();
  let rounds = 0;
  let stopAfter = Infinity;
  const afterRound = async (minute: number) => {
    await opts.afterRound?.(minute);
    if (++rounds >= stopAfter) abort.abort();
  };
  const poller = makePoller({
    sources,
    http,
    archive,
    store,
    clock,
    log,
    pollerId: 'unit',
    intervalMs: MIN,
    knownCurrencies,
    previous,
    afterRound,
  });
  const fetches = () => calls.filter((c) => c.kind === 'fetch');
  /** The scheduled time of each fetch (the deadline is scheduled + interval - 5 s). */
  const scheduled = () => fetches().map((c) => c.deadline - MIN + 5_000);
  /** Run the poller until `n` rounds are done. */
  const runRounds = (n: number) => {
    stopAfter = n;
    return poller.run(abort.signal);
  };
  return { clock, calls, lines, poller, previous, knownCurrencies, fetches, scheduled, runRounds, abort };
}

describe('run: the schedule', () => {
  it('polls on interval boundaries', async () => {
    const h = harness({ start: T0 - 10_000 }); // 5/6 into the interval before T0: that one is left
    await h.runRounds(4);
    expect(h.scheduled().slice(0, 4)).toEqual([T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
    // Each poll starts at its boundary (the manual clock's sleep moves time exactly).
    expect(
      h
        .fetches()
        .slice(0, 4)
        .map((c) => c.at),
    ).toEqual([T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
  });

  it('on start, polls the current interval at once when less than 3/4 of it has passed', async () => {
    const h = harness({ start: T0 + 44_000 });
    await h.runRounds(2);
    expect(h.scheduled().slice(0, 2)).toEqual([T0, T0 + MIN]);
    expect(h.fetches()[0]!.at).toBe(T0 + 44_000);
  });

  it('on start, waits for the next interval when more than 3/4 of the current one has passed', async () => {
    const h = harness({ start: T0 + 46_000 });
    await h.runRounds(1);
    expect(h.scheduled()[0]).toBe(T0 + MIN);
    expect(h.fetches()[0]!.at).toBe(T0 + MIN);
  });

  it('a round that ends exactly on the next boundary skips nothing', async () => {
    const h = harness({
      answer: (source, at) => {
        if (at === T0) h.clock.set(T0 + MIN); // the first round takes exactly one interval
        return [attempt({ fetchedAt: at, body: renderBlockchain(T0, SEED) })];
      },
    });
    await h.runRounds(3);
    expect(h.scheduled().slice(0, 3)).toEqual([T0, T0 + MIN, T0 + 2 * MIN]);
    expect(h.lines.filter((l) => /skipped/.test(l.msg))).toEqual([]);
  });

  it('after an overrun, skips the intervals that passed, with a warning; polls the current one late if early in it', async () => {
    const h = harness({
      answer: (source, at) => {
        if (at === T0) h.clock.set(T0 + 2 * MIN + 31_000); // a stall: minute 1 passed entirely
        return [attempt({ fetchedAt: at, body: renderBlockchain(T0, SEED) })];
      },
    });
    await h.runRounds(3);
    expect(h.scheduled().slice(0, 3)).toEqual([T0, T0 + 2 * MIN, T0 + 3 * MIN]);
    expect(h.fetches()[1]!.at).toBe(T0 + 2 * MIN + 31_000);
    expect(h.lines.find((l) => /skipped/.test(l.msg))).toMatchObject({ level: 40, skipped: 1 });
  });

  it('a round overrunning a little into the next interval is followed by that interval at once', async () => {
    const h = harness({
      answer: (source, at) => {
        if (at === T0) h.clock.set(T0 + MIN + 10_000);
        return [attempt({ fetchedAt: at, body: renderBlockchain(T0, SEED) })];
      },
    });
    await h.runRounds(3);
    expect(h.scheduled()).toEqual([T0, T0 + MIN, T0 + 2 * MIN]);
    expect(h.fetches().map((c) => c.at)).toEqual([T0, T0 + MIN + 10_000, T0 + 2 * MIN]);
    expect(h.lines.filter((l) => /skipped/.test(l.msg))).toEqual([]);
  });

  it('after an overrun that ends late in an interval, skips that one too', async () => {
    const h = harness({
      answer: (source, at) => {
        if (at === T0) h.clock.set(T0 + 2 * MIN + 50_000);
        return [attempt({ fetchedAt: at, body: renderBlockchain(T0, SEED) })];
      },
    });
    await h.runRounds(2);
    expect(h.scheduled().slice(0, 2)).toEqual([T0, T0 + 3 * MIN]);
    expect(h.lines.find((l) => /skipped/.test(l.msg))).toMatchObject({ skipped: 2 });
  });

  it('stops when aborted: after the round under way, and at once when aborted before starting', async () => {
    const h = harness({ start: T0 + 1_000 });
    await h.runRounds(2);
    expect(h.scheduled()).toEqual([T0, T0 + MIN]);
    expect(h.clock.now()).toBe(T0 + MIN);

    const idle = harness();
    const aborted = new AbortController();
    aborted.abort();
    await idle.poller.run(aborted.signal);
    expect(idle.calls).toEqual([]);
  });

  it('hands its stop to every fetch, so a retry wait under way ends on a stop', async () => {
    const h = harness({ sources: ['blockchain', 'coindesk'] });
    await h.runRounds(2);
    expect(h.fetches().map((c) => c.stop)).toEqual(Array(4).fill(h.abort.signal));
  });
});

describe('pollSource', () => {
  it('archives the raw envelopes before it stores anything, and links each poll row to its envelope', async () => {
    const h = harness();
    const summary = await h.poller.pollSource(
      { name: 'blockchain', adapter: adapterFor('blockchain'), url: 'blockchain', headers: {} },
      T0,
    );
    expect(h.calls.map((c) => c.kind)).toEqual(['fetch', 'archive', 'store']);
    const [, a, s] = h.calls as [Call, Extract<Call, { kind: 'archive' }>, Extract<Call, { kind: 'store' }>];
    expect(a.envelopes).toHaveLength(1);
    expect(a.envelopes[0]).toMatchObject({
      source: 'blockchain',
      minute: new Date(T0).toISOString(),
      final: true,
    });
    expect(s.batch.polls?.map((p) => p.archiveId)).toEqual([a.envelopes[0]!.id]);
    expect(s.batch.rates).toHaveLength(BLOCKCHAIN_CODES.length);
    expect(summary).toMatchObject({
      source: 'blockchain',
      minute: T0,
      attempts: 1,
      status: 200,
      accepted: BLOCKCHAIN_CODES.length,
      rejected: 0,
      archive: 'sent',
      store: 'sent',
    });
  });

  it('a poll of several attempts: one envelope and one poll row each, rates from the answer that came', async () => {
    const h = harness({
      answer: (_, at) => [
        attempt({ attempt: 1, status: 503, body: '{"error":"busy"}', fetchedAt: at }),
        attempt({ attempt: 2, status: 200, body: renderBlockchain(T0, SEED), fetchedAt: at + 1_500 }),
      ],
      outcome: 'spooled',
    });
    const summary = await h.poller.pollSource(
      { name: 'blockchain', adapter: adapterFor('blockchain'), url: 'blockchain', headers: {} },
      T0,
    );
    const store = h.calls.find((c) => c.kind === 'store') as Extract<Call, { kind: 'store' }>;
    expect(store.batch.polls?.map((p) => [p.attempt, p.httpStatus, p.reason])).toEqual([
      [1, 503, 'http_status'],
      [2, 200, ''],
    ]);
    expect(store.batch.rejections?.map((r) => [r.attempt, r.currency, r.reason])).toEqual([
      [1, null, 'http_status'],
    ]);
    expect(summary).toMatchObject({
      attempts: 2,
      status: 200,
      rejected: 1,
      archive: 'spooled',
      store: 'spooled',
    });
    expect(h.lines.find((l) => l.level === 40)).toMatchObject({
      source: 'blockchain',
      reason: 'http_status',
    });
  });

  it('coinbase: the self quote is filtered, counted in a rejections row, and neither rejected nor logged', async () => {
    const h = harness({ sources: ['coinbase'] });
    const summary = await h.poller.pollSource(
      { name: 'coinbase', adapter: adapterFor('coinbase'), url: 'coinbase', headers: {} },
      T0,
    );
    const store = h.calls.find((c) => c.kind === 'store') as Extract<Call, { kind: 'store' }>;
    expect(store.batch.polls?.map((p) => [p.rejected, p.reason, p.error])).toEqual([[0, '', '']]);
    expect(store.batch.rejections?.map((r) => [r.ts, r.source, r.currency, r.reason])).toEqual([
      [T0, 'coinbase', 'BTC', 'self_quote'],
    ]);
    expect(summary.rejected).toBe(0);
    expect(h.lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('writes a currencies row for a code the first time it is seen, once across polls and sources', async () => {
    const h = harness({ sources: ['blockchain', 'coindesk'], known: ['USD'] });
    const currencyRows = () =>
      h.calls.flatMap((c) => (c.kind === 'store' ? (c.batch.currencies ?? []).map((x) => x.code) : []));
    await h.poller.pollRound(T0);
    const first = currencyRows();
    expect([...first].sort()).toEqual(BLOCKCHAIN_CODES.filter((c) => c !== 'USD').sort());
    await h.poller.pollRound(T0 + MIN);
    await h.poller.pollRound(T0 + 2 * MIN);
    expect(currencyRows()).toEqual(first);
    for (const { code } of COINDESK_CODES) expect(h.knownCurrencies.has(code)).toBe(true);
    const row = h.calls
      .flatMap((c) => (c.kind === 'store' ? (c.batch.currencies ?? []) : []))
      .find((c) => c.code === 'EUR');
    expect(row).toMatchObject({ code: 'EUR', kind: 'fiat', firstSeen: T0 });
  });

  it('advances the jump-check memory per source with each poll', async () => {
    const h = harness({ sources: ['blockchain', 'coindesk'] });
    await h.poller.pollRound(T0);
    expect(h.previous.get('blockchain')?.get('USD')?.ts).toBe(T0);
    expect(h.previous.get('coindesk')?.size).toBe(COINDESK_CODES.length);
    await h.poller.pollRound(T0 + MIN);
    expect(h.previous.get('blockchain')?.get('USD')?.ts).toBe(T0 + MIN);
  });
});

describe('pollRound', () => {
  it('one source failing unexpectedly does not stop the others; afterRound gets the minute', async () => {
    const minutes: number[] = [];
    const h = harness({
      sources: ['blockchain', 'coindesk'],
      answer: (source, at) => {
        if (source === 'coindesk') throw new Error('boom');
        return [attempt({ fetchedAt: at, body: renderBlockchain(T0, SEED) })];
      },
      afterRound: async (m) => void minutes.push(m),
    });
    const summaries = await h.poller.pollRound(T0 + 15_000);
    expect(summaries.map((s) => s.source)).toEqual(['blockchain']);
    expect(minutes).toEqual([T0]);
    expect(h.lines.find((l) => l.level === 50)).toMatchObject({
      source: 'coindesk',
      msg: 'poll failed unexpectedly',
    });
  });
});

describe('holding a source that asked not to be polled', () => {
  const restricted = (at: number) =>
    attempt({
      fetchedAt: at,
      status: 451,
      body: '{"code":0,"msg":"Service unavailable from a restricted location"}',
    });

  it('after HTTP 451, asks that source again only an hour later, the others every minute', async () => {
    const h = harness({
      sources: ['binance', 'blockchain'],
      answer: (source, at) =>
        source === 'binance'
          ? [restricted(at + 2_000)] // answered 2 s into the minute: the hold still ends on the minute
          : [attempt({ fetchedAt: at, body: renderBlockchain(Math.floor(at / MIN) * MIN, SEED) })],
    });
    await h.runRounds(62);
    const binance = h.fetches().filter((c) => c.source === 'binance');
    expect(binance.map((c) => c.at)).toEqual([T0, T0 + 60 * MIN]);
    expect(h.fetches().filter((c) => c.source === 'blockchain')).toHaveLength(62);
    const polls = h.calls.flatMap((c) => (c.kind === 'store' ? (c.batch.polls ?? []) : []));
    expect(polls.filter((p) => p.source === 'binance').map((p) => p.reason)).toEqual([
      'unavailable_here',
      'unavailable_here',
    ]);
    expect(h.lines.find((l) => l.msg === 'holding polls')).toMatchObject({ level: 40, source: 'binance' });
  });

  it('after a 429 whose Retry-After outlasts the minute, waits until then; a shorter one holds nothing', async () => {
    const h = harness({
      answer: (_source, at) =>
        at === T0
          ? [attempt({ fetchedAt: at, status: 429, headers: { 'retry-after': '150' }, body: '{}' })]
          : at === T0 + 3 * MIN
            ? [attempt({ fetchedAt: at, status: 429, headers: { 'retry-after': '5' }, body: '{}' })]
            : [attempt({ fetchedAt: at, body: renderBlockchain(Math.floor(at / MIN) * MIN, SEED) })],
    });
    await h.runRounds(6); // rounds with every source held still count
    expect(h.scheduled()).toEqual([T0, T0 + 3 * MIN, T0 + 4 * MIN, T0 + 5 * MIN]);
  });
});
