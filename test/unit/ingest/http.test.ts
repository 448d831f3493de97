import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../../common/types.ts';
import { isRetryable, makeHttp, parseRetryAfter, retryDelay, type Http } from '../../../ingest/http.ts';
import { makeFakeApi, type FakeApi } from '../../../fakes/server.ts';
import { ROUTES } from '../../../fakes/routes.ts';
import { makeManualClock } from '../../support/clocks.ts';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
  });

  it('reads an HTTP-date as the time left until it, never negative', () => {
    expect(parseRetryAfter('Tue, 01 Jan 2030 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Tue, 01 Jan 2030 11:59:00 GMT', NOW)).toBe(0);
    // The obsolete RFC 850 form, which RFC 9110 still asks recipients to accept.
    expect(parseRetryAfter('Tuesday, 01-Jan-30 12:01:00 GMT', NOW)).toBe(60_000);
  });

  it('gives null for nothing or garbage', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeNull();
    expect(parseRetryAfter('', NOW)).toBeNull();
    expect(parseRetryAfter('soon', NOW)).toBeNull();
    expect(parseRetryAfter('12 seconds', NOW)).toBeNull();
    // Not whole seconds and not a date (Date.parse alone reads these as days in 2001).
    expect(parseRetryAfter('1.5', NOW)).toBeNull();
    expect(parseRetryAfter('-1', NOW)).toBeNull();
  });
});

describe('retryDelay', () => {
  it('doubles per retry, with equal jitter: between half and all of the exponential step', () => {
    // Independent: step = base * 2^(next-2); delay = step/2 + step/2 * random.
    expect(retryDelay(2, 1000, 0, null)).toBe(500);
    expect(retryDelay(2, 1000, 1, null)).toBe(1000);
    expect(retryDelay(3, 1000, 0.5, null)).toBe(1500);
    expect(retryDelay(4, 1000, 0, null)).toBe(2000);
    expect(retryDelay(5, 1000, 0.25, null)).toBe(5000);
  });

  it('lets a Retry-After win only when it is longer', () => {
    expect(retryDelay(2, 1000, 0.5, 10_000)).toBe(10_000);
    expect(retryDelay(4, 1000, 1, 100)).toBe(4000);
  });
});

describe('isRetryable', () => {
  it.each([408, 425, 429, 500, 502, 503, 504])('retries HTTP %i', (status) =>
    expect(isRetryable({ status, error: null })).toBe(true),
  );
  it.each([200, 301, 400, 401, 403, 404, 501])('does not retry HTTP %i', (status) =>
    expect(isRetryable({ status, error: null })).toBe(false),
  );
  it('retries a network failure', () => expect(isRetryable({ status: 0, error: 'ECONNRESET' })).toBe(true));
});

describe('makeHttp against the fake APIs', () => {
  const clock = makeManualClock(NOW);
  let fake: FakeApi;
  let base: string;
  let http: Http;
  const TIMEOUT_MS = 300;
  beforeAll(async () => {
    fake = makeFakeApi({ seed: 3, clock });
    base = await fake.start(0);
    http = makeHttp({
      clock,
      connectTimeoutMs: 1_000,
      bodyTimeoutMs: TIMEOUT_MS,
      maxBytes: 10_000,
      maxAttempts: 4,
      baseDelayMs: 1_000,
      random: () => 1,
    });
  });
  afterAll(async () => {
    await http.close();
    await fake.stop();
  });
  const coindesk = () => `${base}${ROUTES.coindesk}`;
  const HOUR = 3_600_000;

  it('retries a 500 and returns both attempts, the last one the whole answer', async () => {
    fake.inject('coindesk', { kind: 'status', status: 500 });
    const t0 = clock.now();
    const attempts = await http.fetchAttempts(coindesk(), {}, t0 + HOUR);
    expect(attempts.map((a) => [a.attempt, a.status, a.error])).toEqual([
      [1, 500, null],
      [2, 200, null],
    ]);
    // random = 1: the first retry waits the whole base delay.
    expect(attempts[1]!.fetchedAt - attempts[0]!.fetchedAt).toBe(1_000);
    expect(attempts[1]!.body.toString()).toBe(fake.served.at(-1)!.body);
  });

  it('honours Retry-After on a 429: the wait is at least what the server asked for', async () => {
    fake.inject('coindesk', { kind: 'rate_limit', retryAfterSeconds: 7 });
    const t0 = clock.now();
    const attempts = await http.fetchAttempts(coindesk(), {}, t0 + HOUR);
    expect(attempts.map((a) => a.status)).toEqual([429, 200]);
    expect(attempts[0]!.headers['retry-after']).toBe('7');
    expect(clock.now() - t0).toBeGreaterThanOrEqual(7_000);
    expect(attempts[1]!.fetchedAt - attempts[0]!.fetchedAt).toBeGreaterThanOrEqual(7_000);
  });

  it('gives up on a hanging server within the timeout: status 0 and an error, then tries again', async () => {
    fake.inject('coindesk', { kind: 'hang' });
    const started = performance.now();
    const attempts = await http.fetchAttempts(coindesk(), {}, clock.now() + HOUR);
    const elapsed = performance.now() - started;
    expect(attempts[0]).toMatchObject({ status: 0, bodyTruncated: false });
    expect(attempts[0]!.error).toEqual(expect.any(String));
    expect(attempts[0]!.body.length).toBe(0);
    expect(attempts[0]!.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
    expect(attempts[0]!.latencyMs).toBeLessThan(TIMEOUT_MS * 2 + 500);
    expect(attempts.map((a) => a.status)).toEqual([0, 200]);
    expect(elapsed).toBeLessThan(TIMEOUT_MS * 2 + 1_000);
  });

  it('times an attempt out by the deadline in real time when the clock runs faster (the soak, CLOCK_SPEED)', async () => {
    // 6 s of a clock running 60 times faster is 100 ms of real time: shorter than the 600 ms body timeout.
    const fast = { ...makeManualClock(NOW), realMs: (ms: number) => ms / 60 };
    const quick = makeHttp({
      clock: fast,
      connectTimeoutMs: 1_000,
      bodyTimeoutMs: TIMEOUT_MS,
      maxBytes: 10_000,
      maxAttempts: 2,
      baseDelayMs: 1_000,
      random: () => 1,
    });
    try {
      fake.inject('coindesk', { kind: 'hang' });
      const attempts = await quick.fetchAttempts(coindesk(), {}, fast.now() + 6_000);
      expect(attempts.map((a) => [a.status, a.error])).toEqual([
        [0, 'no complete response within 100 ms'],
        [200, null],
      ]);
    } finally {
      await quick.close();
    }
  });

  it('cuts a huge body at maxBytes, marks it, and does not retry', async () => {
    fake.inject('coindesk', { kind: 'huge', bytes: 200_000 });
    const attempts = await http.fetchAttempts(coindesk(), {}, clock.now() + HOUR);
    expect(attempts).toHaveLength(1);
    const [a] = attempts;
    expect(a).toMatchObject({ status: 200, bodyTruncated: true });
    expect(a!.body.length).toBe(10_000);
    expect(a!.body.toString()).toBe(fake.served.at(-1)!.body.slice(0, 10_000));
    expect(a!.error).toMatch(/larger than 10000 bytes/);
  });

  it('stops retrying on a stop: the wait under way ends, and what was fetched is returned', async () => {
    // Waits that end only on the stop: without it, this retry would never be tried or given up.
    const waits: number[] = [];
    const stoppable: Clock = {
      now: () => NOW,
      sleep: (ms, signal) =>
        new Promise<void>((done) => {
          waits.push(ms);
          signal?.addEventListener('abort', () => done());
        }),
    };
    const one = makeHttp({
      clock: stoppable,
      connectTimeoutMs: 1_000,
      bodyTimeoutMs: TIMEOUT_MS,
      maxBytes: 10_000,
      maxAttempts: 4,
      baseDelayMs: 1_000,
      random: () => 1,
    });
    try {
      fake.inject('coindesk', { kind: 'rate_limit', retryAfterSeconds: 20 });
      const stop = new AbortController();
      const fetching = one.fetchAttempts(coindesk(), {}, NOW + HOUR, stop.signal);
      await vi.waitFor(() => expect(waits).toEqual([20_000]));
      const served = fake.served.length;
      stop.abort();
      expect((await fetching).map((a) => a.status)).toEqual([429]);
      expect(fake.served.length).toBe(served);
    } finally {
      await one.close();
    }
  });

  it('stops retrying when the next wait would run into the deadline', async () => {
    // Three faults: a fourth attempt (maxAttempts is 4) would be answered 200, so stopping at three is the deadline.
    fake.inject('coindesk', { kind: 'status', status: 503 }, 3);
    const t0 = clock.now();
    const deadline = t0 + 5_000;
    const attempts = await http.fetchAttempts(coindesk(), {}, deadline);
    // Waits of 1 s and 2 s fit (each leaving 1 s for the attempt); the third, 4 s, would not.
    expect(attempts.map((a) => a.fetchedAt - t0)).toEqual([0, 1_000, 3_000]);
    expect(attempts.map((a) => a.status)).toEqual([503, 503, 503]);
    expect(clock.now()).toBeLessThan(deadline);
  });

  it('does not retry a 404', async () => {
    const attempts = await http.fetchAttempts(`${base}/nowhere`, {}, clock.now() + HOUR);
    expect(attempts.map((a) => a.status)).toEqual([404]);
  });

  it('stops after maxAttempts', async () => {
    fake.inject('coindesk', { kind: 'status', status: 502 }, 4);
    const attempts = await http.fetchAttempts(coindesk(), {}, clock.now() + HOUR);
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 502],
      [2, 502],
      [3, 502],
      [4, 502],
    ]);
  });

  it('reports a refused connection as status 0 with its error code', async () => {
    const closed = makeFakeApi({ seed: 1, clock });
    const gone = await closed.start(0);
    await closed.stop();
    const one = makeHttp({
      clock,
      connectTimeoutMs: 500,
      bodyTimeoutMs: 500,
      maxBytes: 1_000,
      maxAttempts: 1,
      baseDelayMs: 1,
    });
    try {
      const [a] = await one.fetchAttempts(`${gone}${ROUTES.coindesk}`, {}, clock.now() + HOUR);
      expect(a).toMatchObject({ status: 0, attempt: 1 });
      expect(a!.error).toMatch(/ECONNREFUSED/);
    } finally {
      await one.close();
    }
  });
});
