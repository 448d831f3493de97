/** The runner with an in-memory run store and a hand-driven clock: recording, no overlap, catch-up, failures. */
import { describe, expect, it } from 'vitest';
import { makeLogger } from '../../common/log.ts';
import type { Clock } from '../../common/types.ts';
import type { RunRecord, RunStore } from '../../jobs/run-store.ts';
import { describeError, makeRunner, RETRY_MS, type Job, type JobContext } from '../../jobs/runner.ts';

const H = 3_600_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');
const log = makeLogger('test', 'silent');

function fakeClock(start: number): Clock & { set(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: async () => {}, set: (ms) => (now = ms) };
}

function memoryStore(done: Record<string, number> = {}): RunStore & { runs: RunRecord[] } {
  const runs: RunRecord[] = [];
  return {
    runs,
    async doneUntil() {
      const m = new Map(Object.entries(done));
      for (const r of runs)
        if (r.status === 'ok' || r.status === 'skipped')
          m.set(r.job, Math.max(m.get(r.job) ?? 0, r.window.end));
      return m;
    },
    async record(r) {
      runs.push(r);
    },
  };
}

function job(name: string, run: (ctx: JobContext) => Promise<{ rows: number }>): Job {
  return {
    name,
    policy: { windowMs: H, delayMs: 0, catchUp: 'each', maxLookbackMs: 48 * H, maxBatch: 3 },
    run,
  };
}

describe('runner', () => {
  it('records each run as running, then its outcome, with duration and rows', async () => {
    const clock = fakeClock(T0 + 2 * H + 1);
    const store = memoryStore({ a: T0 + H });
    const runner = makeRunner({
      jobs: [job('a', async () => (clock.set(clock.now() + 250), { rows: 7 }))],
      store,
      clock,
      log,
    });
    expect(await runner.tick('a')).toEqual({ job: 'a', outcome: 'caught-up', ran: 1 });
    expect(store.runs.map((r) => [r.status, r.window.start - T0, r.rows, r.durationMs])).toEqual([
      ['running', H, 0, 0],
      ['ok', H, 7, 250],
    ]);
    expect(store.runs[0]!.startedAt).toBe(store.runs[1]!.startedAt);
  });

  it('catches up every missed window in order after downtime, in batches', async () => {
    const clock = fakeClock(T0 + 10 * H + 60_000);
    const store = memoryStore({ a: T0 + 2 * H });
    const seen: number[] = [];
    const runner = makeRunner({
      jobs: [job('a', async ({ window }) => (seen.push((window.start - T0) / H), { rows: 0 }))],
      store,
      clock,
      log,
    });
    expect((await runner.tick('a')).ran).toBe(8);
    expect(seen).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    // Caught up: the next tick in the same hour owes nothing.
    expect((await runner.tick('a')).ran).toBe(0);
  });

  it('never runs two ticks of one job at once', async () => {
    const clock = fakeClock(T0 + 3 * H);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let concurrent = 0;
    let most = 0;
    const runner = makeRunner({
      jobs: [
        job('slow', async () => {
          most = Math.max(most, ++concurrent);
          await gate;
          concurrent--;
          return { rows: 1 };
        }),
      ],
      store: memoryStore({ slow: T0 + H }),
      clock,
      log,
    });
    const first = runner.tick('slow');
    expect(await runner.tick('slow')).toEqual({ job: 'slow', outcome: 'busy', ran: 0 });
    release();
    expect(await first).toMatchObject({ outcome: 'caught-up', ran: 2 });
    expect(most).toBe(1);
  });

  it('stops at a failed window, records the error with its cause, and retries it next tick', async () => {
    const clock = fakeClock(T0 + 4 * H);
    const store = memoryStore({ a: T0 + H });
    let fail = true;
    const seen: number[] = [];
    const runner = makeRunner({
      jobs: [
        job('a', async ({ window }) => {
          seen.push((window.start - T0) / H);
          if (fail && window.start === T0 + 2 * H)
            throw new Error('repair failed', { cause: new Error('connection refused') });
          return { rows: 1 };
        }),
      ],
      store,
      clock,
      log,
    });
    const r = await runner.tick('a');
    expect(r).toMatchObject({
      outcome: 'failed',
      ran: 1,
      error: 'repair failed: caused by: connection refused',
    });
    expect(store.runs.filter((x) => x.status === 'failed').map((x) => x.error)).toEqual([
      'repair failed: caused by: connection refused',
    ]);
    fail = false;
    expect(await runner.tick('a')).toMatchObject({ outcome: 'caught-up', ran: 2 });
    expect(seen).toEqual([1, 2, 2, 3]);
  });

  it('records the span it gives up when the downtime exceeds the lookback', async () => {
    const clock = fakeClock(T0 + 100 * H);
    const store = memoryStore({ a: T0 });
    const runner = makeRunner({ jobs: [job('a', async () => ({ rows: 0 }))], store, clock, log });
    expect((await runner.tick('a')).ran).toBe(48);
    const skipped = store.runs.filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => [(r.window.start - T0) / H, (r.window.end - T0) / H])).toEqual([[0, 52]]);
  });

  it('reports an unreachable store as a failed tick, and recovers', async () => {
    const clock = fakeClock(T0 + 2 * H);
    const store = memoryStore({ a: T0 + H });
    let down = true;
    const flaky: RunStore = {
      doneUntil: () => (down ? Promise.reject(new Error('ECONNREFUSED')) : store.doneUntil()),
      record: (r) => store.record(r),
    };
    const runner = makeRunner({ jobs: [job('a', async () => ({ rows: 0 }))], store: flaky, clock, log });
    expect(await runner.tick('a')).toMatchObject({ outcome: 'failed', error: 'ECONNREFUSED' });
    down = false;
    expect(await runner.tick('a')).toMatchObject({ outcome: 'caught-up', ran: 1 });
  });

  it('aborts a running job on stop and starts nothing after', async () => {
    const clock = fakeClock(T0 + 2 * H);
    let started!: () => void;
    const isRunning = new Promise<void>((r) => (started = r));
    const runner = makeRunner({
      jobs: [
        job('a', ({ signal }) => {
          started();
          return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ rows: 0 })));
        }),
      ],
      store: memoryStore({ a: T0 + H }),
      clock,
      log,
    });
    const running = runner.tick('a');
    await isRunning;
    await runner.stop();
    expect(await running).toMatchObject({ ran: 1 });
    expect(await runner.tick('a')).toMatchObject({ outcome: 'stopped' });
  });

  it('loads progress once for ticks that start together: a slower load cannot undo a faster job', async () => {
    const clock = fakeClock(T0 + 2 * H + 1);
    const store = memoryStore({ a: T0 + H, b: T0 + H });
    const snapshot = store.doneUntil;
    let [loads, release] = [0, () => {}];
    const late = new Promise<void>((r) => (release = r));
    store.doneUntil = async () => {
      const done = await snapshot(); // what job_runs holds when the query is sent
      if (loads++ > 0) await late; // a second load would answer only after the first tick is done
      return done;
    };
    const runner = makeRunner({
      jobs: [job('a', async () => ({ rows: 0 })), job('b', async () => ({ rows: 0 }))],
      store,
      clock,
      log,
    });
    const [a, b] = [runner.tick('a'), runner.tick('b')];
    expect(await a).toEqual({ job: 'a', outcome: 'caught-up', ran: 1 });
    release();
    expect(await b).toEqual({ job: 'b', outcome: 'caught-up', ran: 1 });
    expect(await runner.tick('a')).toEqual({ job: 'a', outcome: 'caught-up', ran: 0 });
    expect(loads).toBe(1);
  });

  it('refuses two jobs with one name and unknown names', async () => {
    const store = memoryStore();
    const clock = fakeClock(T0);
    const a = job('a', async () => ({ rows: 0 }));
    expect(() => makeRunner({ jobs: [a, a], store, clock, log })).toThrow(/two jobs are named a/);
    await expect(makeRunner({ jobs: [a], store, clock, log }).tick('b')).rejects.toThrow(/no job named b/);
  });

  it('describes non-Error throws too', () => {
    expect(describeError('boom')).toBe('boom');
  });

  it('run: ticks each job when its window is due on the clock, and retries a failed tick after RETRY_MS', async () => {
    // A clock whose sleep moves time on (after pending work has settled): the loop runs hours of schedule at once.
    let now = T0 + 30 * 60_000;
    const stopAt = T0 + 3 * H + 30 * 60_000;
    const abort = new AbortController();
    const clock: Clock = {
      now: () => now,
      sleep: async (ms) => {
        await new Promise((r) => setImmediate(r));
        now += ms;
        if (now >= stopAt) abort.abort();
      },
    };
    const ran: string[] = [];
    let failures = 1;
    const at = (w: { end: number }) => `${(w.end - T0) / H}h@${(now - T0) / 60_000}m`;
    const runner = makeRunner({
      jobs: [
        job('a', async ({ window }) => {
          ran.push(`a ${at(window)}`);
          return { rows: 0 };
        }),
        {
          ...job('b', async ({ window }) => {
            if (window.end === T0 + 2 * H && failures-- > 0) throw new Error('down');
            ran.push(`b ${at(window)}`);
            return { rows: 0 };
          }),
          policy: { windowMs: H, delayMs: 10 * 60_000, catchUp: 'each', maxLookbackMs: 48 * H, maxBatch: 3 },
        },
      ],
      store: memoryStore({ a: T0, b: T0 }),
      clock,
      log,
    });
    await runner.run(abort.signal);
    await runner.stop();
    const retried = 130 + RETRY_MS / 60_000;
    expect(ran).toEqual(['a 1h@60m', 'b 1h@70m', 'a 2h@120m', `b 2h@${retried}m`, 'a 3h@180m', 'b 3h@190m']);
  });
});
