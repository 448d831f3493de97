/** Window arithmetic of the scheduler: what is due, catch-up after downtime, and its bounds. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FORECAST_POLICY } from '../../forecast/forecaster.ts';
import { nextDueAt, planWindows, validatePolicy, type WindowPolicy } from '../../jobs/scheduler.ts';

const H = 3_600_000;
const M = 60_000;
const t = (s: string) => Date.parse(s);
const hourly: WindowPolicy = {
  windowMs: H,
  delayMs: 5 * M,
  catchUp: 'each',
  maxLookbackMs: 24 * H,
  maxBatch: 100,
};
const iso = (w: { start: number; end: number }) => [
  new Date(w.start).toISOString(),
  new Date(w.end).toISOString(),
];

describe('planWindows', () => {
  it('starts a job that never ran with the newest due window only', () => {
    const plan = planWindows(hourly, null, t('2024-01-01T10:07:00Z'));
    expect(plan.windows.map(iso)).toEqual([['2024-01-01T09:00:00.000Z', '2024-01-01T10:00:00.000Z']]);
    expect(plan.skipped).toBeNull();
  });

  it('waits for the delay after a window ends', () => {
    const done = t('2024-01-01T09:00:00Z');
    expect(planWindows(hourly, done, t('2024-01-01T10:04:59Z')).windows).toEqual([]);
    expect(planWindows(hourly, done, t('2024-01-01T10:05:00Z')).windows.map(iso)).toEqual([
      ['2024-01-01T09:00:00.000Z', '2024-01-01T10:00:00.000Z'],
    ]);
  });

  it('owes nothing when caught up, even if the clock went backwards', () => {
    expect(planWindows(hourly, t('2024-01-01T10:00:00Z'), t('2024-01-01T10:30:00Z')).windows).toEqual([]);
    expect(planWindows(hourly, t('2024-01-01T12:00:00Z'), t('2024-01-01T10:30:00Z')).windows).toEqual([]);
  });

  it('catches up every missed window in order after downtime, across midnight', () => {
    const plan = planWindows(hourly, t('2024-01-01T22:00:00Z'), t('2024-01-02T02:10:00Z'));
    expect(plan.windows.map((w) => iso(w)[0])).toEqual([
      '2024-01-01T22:00:00.000Z',
      '2024-01-01T23:00:00.000Z',
      '2024-01-02T00:00:00.000Z',
      '2024-01-02T01:00:00.000Z',
    ]);
    expect(plan.skipped).toBeNull();
  });

  it('hands out at most maxBatch windows, oldest first, so the caller plans again', () => {
    const policy = { ...hourly, maxBatch: 2 };
    const first = planWindows(policy, t('2024-01-01T00:00:00Z'), t('2024-01-01T05:10:00Z'));
    expect(first.windows.map((w) => iso(w)[0])).toEqual([
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T01:00:00.000Z',
    ]);
    const next = planWindows(policy, first.windows[1]!.end, t('2024-01-01T05:10:00Z'));
    expect(next.windows.map((w) => iso(w)[0])).toEqual([
      '2024-01-01T02:00:00.000Z',
      '2024-01-01T03:00:00.000Z',
    ]);
  });

  it('gives up windows older than the lookback as one skipped span', () => {
    const policy = { ...hourly, maxLookbackMs: 3 * H };
    const plan = planWindows(policy, t('2024-01-01T00:00:00Z'), t('2024-01-02T00:30:00Z'));
    expect(plan.skipped && iso(plan.skipped)).toEqual([
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T21:00:00.000Z',
    ]);
    expect(plan.windows.map((w) => iso(w)[0])).toEqual([
      '2024-01-01T21:00:00.000Z',
      '2024-01-01T22:00:00.000Z',
      '2024-01-01T23:00:00.000Z',
    ]);
  });

  it('runs only the newest window of a `latest` job, skipping the missed ones', () => {
    const policy: WindowPolicy = {
      windowMs: 5 * M,
      delayMs: 0,
      catchUp: 'latest',
      maxLookbackMs: 5 * M,
      maxBatch: 1,
    };
    const plan = planWindows(policy, t('2024-01-01T10:00:00Z'), t('2024-01-01T11:02:00Z'));
    expect(plan.windows.map(iso)).toEqual([['2024-01-01T10:55:00.000Z', '2024-01-01T11:00:00.000Z']]);
    expect(plan.skipped && iso(plan.skipped)).toEqual([
      '2024-01-01T10:00:00.000Z',
      '2024-01-01T10:55:00.000Z',
    ]);
    expect(planWindows(policy, t('2024-01-01T10:55:00Z'), t('2024-01-01T11:02:00Z')).skipped).toBeNull();
  });

  it('reruns a partly done window whole when the window length changed', () => {
    const plan = planWindows(hourly, t('2024-01-01T09:30:00Z'), t('2024-01-01T10:10:00Z'));
    expect(plan.windows.map(iso)).toEqual([['2024-01-01T09:00:00.000Z', '2024-01-01T10:00:00.000Z']]);
  });

  it('always plans contiguous, aligned, finished windows after what is done (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 }).map((n) => n * 15 * M),
        fc.integer({ min: 0, max: 3 * H }),
        fc.constantFrom<'each' | 'latest'>('each', 'latest'),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 100 }),
        fc.option(fc.integer({ min: 1.7e12, max: 1.8e12 })),
        fc.integer({ min: 0, max: 30 * 24 * H }),
        (windowMs, delayMs, catchUp, lookbackWindows, maxBatch, doneUntil, ahead) => {
          const policy = { windowMs, delayMs, catchUp, maxLookbackMs: lookbackWindows * windowMs, maxBatch };
          const now = (doneUntil ?? 1.75e12) + ahead;
          const { windows, skipped } = planWindows(policy, doneUntil, now);
          expect(windows.length).toBeLessThanOrEqual(maxBatch);
          let prev = skipped
            ? skipped.end
            : doneUntil === null
              ? null
              : Math.floor(doneUntil / windowMs) * windowMs;
          for (const w of windows) {
            expect(w.start % windowMs).toBe(0);
            expect(w.end - w.start).toBe(windowMs);
            expect(w.end + delayMs).toBeLessThanOrEqual(now);
            if (prev !== null) expect(w.start).toBe(prev);
            prev = w.end;
          }
          if (skipped) expect(skipped.end).toBeGreaterThan(skipped.start);
        },
      ),
    );
  });
});

describe('validatePolicy', () => {
  it('rejects policies that cannot be planned', () => {
    expect(() => validatePolicy('x', { ...hourly, windowMs: 0 })).toThrow(/windowMs/);
    expect(() => validatePolicy('x', { ...hourly, maxLookbackMs: M })).toThrow(/maxLookbackMs/);
    expect(() => validatePolicy('x', { ...hourly, maxBatch: 0, delayMs: -1 })).toThrow(/delayMs.*maxBatch/);
    expect(() => validatePolicy('x', hourly)).not.toThrow();
  });
});

describe('nextDueAt', () => {
  it('is the next window end plus the delay, strictly after now', () => {
    expect(new Date(nextDueAt(hourly, t('2024-01-01T10:04:59Z'))).toISOString()).toBe(
      '2024-01-01T10:05:00.000Z',
    );
    expect(new Date(nextDueAt(hourly, t('2024-01-01T10:05:00Z'))).toISOString()).toBe(
      '2024-01-01T11:05:00.000Z',
    );
  });

  it('never passes over an instant at which a new window becomes due (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 * 60 }).map((m) => m * M),
        fc.integer({ min: 0, max: 6 * H }),
        fc.integer({ min: 0, max: 4e12 }),
        (windowMs, delayMs, now) => {
          const policy = {
            windowMs,
            delayMs,
            catchUp: 'each',
            maxLookbackMs: windowMs,
            maxBatch: 1,
          } as const;
          const next = nextDueAt(policy, now);
          const newest = (at: number) => planWindows(policy, null, at).windows.at(-1)?.end ?? null;
          expect(next).toBeGreaterThan(now);
          expect(Math.abs((next - delayMs) % windowMs)).toBe(0);
          // Nothing new is due between now and next; at next, the window ending at next - delay is.
          expect(newest(next - 1)).toBe(newest(now));
          expect(newest(next)).toBe(next - delayMs);
        },
      ),
    );
  });
});

describe("the forecaster's catch-up (its minute windows on the same planner)", () => {
  const policy: WindowPolicy = { ...FORECAST_POLICY, delayMs: 20_000 };
  const minutes = (ws: { start: number; end: number }[]) =>
    ws.map((w) => new Date(w.end).toISOString().slice(11, 16));

  it('forecasts the newest origin only after a start, and each minute once due 20 s after it', () => {
    expect(minutes(planWindows(policy, null, t('2024-01-01T10:07:19Z')).windows)).toEqual(['10:06']);
    expect(planWindows(policy, t('2024-01-01T10:07:00Z'), t('2024-01-01T10:07:19Z')).windows).toEqual([]);
    expect(
      minutes(planWindows(policy, t('2024-01-01T10:07:00Z'), t('2024-01-01T10:08:20Z')).windows),
    ).toEqual(['10:08']);
  });

  it('after a ten-minute outage, forecasts every missed origin in order', () => {
    const plan = planWindows(policy, t('2024-01-01T10:00:00Z'), t('2024-01-01T10:10:30Z'));
    expect(minutes(plan.windows)).toEqual([
      '10:01',
      '10:02',
      '10:03',
      '10:04',
      '10:05',
      '10:06',
      '10:07',
      '10:08',
      '10:09',
      '10:10',
    ]);
    expect(plan.skipped).toBeNull();
  });

  it('after an outage longer than an hour, gives up the older origins and forecasts the last hour', () => {
    const plan = planWindows(policy, t('2024-01-01T08:00:00Z'), t('2024-01-01T10:10:30Z'));
    expect(plan.skipped && minutes([plan.skipped])).toEqual(['09:10']);
    expect(new Date(plan.skipped!.start).toISOString()).toBe('2024-01-01T08:00:00.000Z');
    expect(plan.windows).toHaveLength(60);
    expect(minutes([plan.windows[0]!, plan.windows.at(-1)!])).toEqual(['09:11', '10:10']);
  });
});
