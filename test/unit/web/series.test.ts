/** The history chart's arithmetic against an independent two-pass computation over the minute rows. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistoryBucket } from '../../../sql/web.ts';
import { chooseInterval, effectiveWindowMs, MAX_POINTS, rollingFromBuckets } from '../../../web/series.ts';
import type { AreaDeps } from '../../../web/context.ts';
import { loadHistory } from '../../../web/pages/history.tsx';

const MIN = 60_000;
const DAY = 86_400_000;

/** Minute rows → buckets of `size` ms, each with n, two-pass mean and M2, min, max, last. */
function bucketsOf(rows: { ts: number; rate: number }[], size: number): HistoryBucket[] {
  const groups = new Map<number, number[]>();
  for (const r of rows) {
    const k = Math.floor(r.ts / size) * size;
    const g = groups.get(k) ?? [];
    g.push(r.rate);
    groups.set(k, g);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ts, xs]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return {
        ts: new Date(ts),
        n: xs.length,
        mean,
        m2: xs.reduce((a, x) => a + (x - mean) ** 2, 0),
        min: Math.min(...xs),
        max: Math.max(...xs),
        last: xs.at(-1)!,
      };
    });
}

/** Mean and sample std of the rows in [end - window, end), two-pass. */
function direct(rows: { ts: number; rate: number }[], end: number, window: number) {
  const xs = rows.filter((r) => r.ts >= end - window && r.ts < end).map((r) => r.rate);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : null;
  return { n: xs.length, mean, std };
}

describe('rollingFromBuckets', () => {
  it('equals the mean and std of the minute rows in each window, gaps included', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.boolean(),
            fc.integer({ min: -5000, max: 5000 }).map((cents) => cents / 100),
          ),
          {
            minLength: 30,
            maxLength: 400,
          },
        ),
        fc.constantFrom(1, 5, 15, 30),
        fc.constantFrom(30, 60, 1440),
        (steps, bucketMin, windowMin) => {
          const start = Date.UTC(2026, 0, 1);
          let price = 40_000;
          const rows: { ts: number; rate: number }[] = [];
          steps.forEach(([present, d], i) => {
            price += d;
            if (present) rows.push({ ts: start + i * MIN, rate: price });
          });
          if (rows.length === 0) return;
          const spread = (direct(rows, rows.at(-1)!.ts + 1, Infinity).std ?? 0) ** 2;
          const size = bucketMin * MIN;
          const window = Math.max(windowMin * MIN, size);
          const points = rollingFromBuckets(bucketsOf(rows, size), window);
          for (const p of points) {
            const want = direct(rows, p.ts + size, window);
            expect(p.windowN).toBe(want.n);
            expect(p.rollingMean).toBeCloseTo(want.mean, 6);
            if (want.std === null) expect(p.rollingStd).toBeNull();
            // Variances to 1e-9 of the series' own spread: sliding sums cancel at that scale, and the square root
            // makes such noise look large next to a window of (nearly) constant rates.
            else
              expect(Math.abs(p.rollingStd! ** 2 - want.std ** 2)).toBeLessThanOrEqual(
                1e-9 * (want.std ** 2 + spread) + 1e-12,
              );
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('returns only the buckets from emitFrom on, with the earlier ones filling their windows', () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({ ts: i * MIN, rate: i }));
    const points = rollingFromBuckets(bucketsOf(rows, MIN), 60 * MIN, 60 * MIN);
    expect(points).toHaveLength(60);
    expect(points[0]!.windowN).toBe(60);
    expect(points[0]!.rollingMean).toBeCloseTo(30.5, 9);
  });

  it('is empty for no buckets', () => {
    expect(rollingFromBuckets([], MIN)).toEqual([]);
  });
});

describe('chooseInterval', () => {
  it('gives a day minutes, a week 15 minutes, and reads the hourly view beyond a week', () => {
    expect(chooseInterval(DAY)).toBe('1m');
    expect(chooseInterval(7 * DAY)).toBe('15m');
    expect(chooseInterval(30 * DAY)).toBe('1h');
    expect(chooseInterval(90 * DAY)).toBe('4h');
    expect(chooseInterval(365 * DAY)).toBe('1d');
    expect(chooseInterval(3660 * DAY)).toBe('1w');
  });

  it('never asks for more than MAX_POINTS buckets for any range up to 10 years', () => {
    const sizes: Record<string, number> = {
      '1m': MIN,
      '5m': 5 * MIN,
      '15m': 15 * MIN,
      '30m': 30 * MIN,
      '1h': 60 * MIN,
      '4h': 240 * MIN,
      '1d': DAY,
      '1w': 7 * DAY,
    };
    fc.assert(
      fc.property(fc.integer({ min: MIN, max: 3660 * DAY }), (span) => {
        expect(Math.ceil(span / sizes[chooseInterval(span)]!)).toBeLessThanOrEqual(MAX_POINTS);
      }),
    );
  });

  it('widens a window shorter than a bucket to the bucket', () => {
    expect(effectiveWindowMs('30m', '4h')).toBe(4 * 60 * MIN);
    expect(effectiveWindowMs('1d', '5m')).toBe(DAY);
  });
});

describe('loadHistory', () => {
  it('starts a weekly chart at the Monday week holding the range start, as SAMPLE BY 1w buckets it', async () => {
    const WEEK = 7 * DAY;
    const monday = Date.parse('2020-12-28T00:00:00Z');
    // SAMPLE BY 1w: buckets start on Mondays (2020-12-28 was one); one per week of the range asked for.
    const history = async (_key: unknown, _interval: string, from: number, to: number) => {
      const out: HistoryBucket[] = [];
      for (let t = monday + Math.ceil((from - monday) / WEEK) * WEEK; t < to; t += WEEK)
        out.push({ ts: new Date(t), n: 168, mean: 1, m2: 0, min: 1, max: 1, last: 1 });
      return out;
    };
    const deps = { queries: { history } } as unknown as AreaDeps;
    const range = { from: Date.parse('2021-01-01T00:00:00Z'), to: Date.parse('2026-01-01T00:00:00Z') }; // a Friday
    const h = await loadHistory(deps, {
      series: { source: 's', currency: 'USD' },
      range,
      window: '1h',
    } as never);
    expect(h.interval).toBe('1w');
    expect(new Date(h.points[0]!.ts).toISOString()).toBe('2020-12-28T00:00:00.000Z');
  });
});
