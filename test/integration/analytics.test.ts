/**
 * Every aggregate of the batch layer, on the real QuestDB, against values this test computes itself from the
 * rows it wrote: counts, min, max, first and last exactly; means and rolling statistics to 1e-9 relative.
 * The data crosses midnight (and a Sunday/Monday week boundary and a month end), has a 2.5-hour gap and
 * scattered missing minutes, and a second currency that must not leak into the first one's numbers.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDb } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { mulberry32 } from '../../forecast/gp/index.ts';
import { SAMPLE_INTERVALS, makeAnalytics, type SampleInterval } from '../../sql/analytics.ts';
import { testConfig } from './stack-env.ts';
import { waitForSettled } from './views-support.ts';

const config = testConfig();
const db = makeDb(config, 2);
const analytics = makeAnalytics(db);
const source = `test-agg-${randomUUID().slice(0, 8)}`;
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const t = (s: string) => Date.parse(s);

// ---- the data: minute rows with gaps, written through ILP; `series` is the model of what QuestDB holds ----

type Row = { ts: number; rate: number };
const series: Record<string, Map<number, number>> = { EUR: new Map(), USD: new Map() };

function minutes(from: string, to: string, keep: () => boolean = () => true): number[] {
  const out: number[] = [];
  for (let m = t(from); m < t(to); m += MIN) if (keep()) out.push(m);
  return out;
}

function buildData(): Record<string, Row[]> {
  const r = mulberry32(20210314);
  const stamps = [
    t('2021-02-28T12:00:00Z'),
    // 2021-03-14 is a Sunday: this run crosses midnight into Monday, a new ISO week.
    ...minutes('2021-03-14T21:00:00Z', '2021-03-15T02:30:00Z'),
    // 02:30-05:00 is a gap longer than any rolling window but the day.
    ...minutes('2021-03-15T05:00:00Z', '2021-03-15T08:00:00Z', () => r() > 0.15),
    ...minutes('2021-03-15T23:58:00Z', '2021-03-16T00:02:00Z'),
    t('2021-03-31T23:59:00Z'),
    t('2021-04-01T00:00:00Z'),
  ];
  const out: Record<string, Row[]> = {};
  for (const [currency, start] of [
    ['EUR', 52_000],
    ['USD', 58_000],
  ] as const) {
    let rate = start;
    out[currency] = stamps.map((ts) => {
      rate += (r() - 0.5) * 40 + 0.123456789;
      return { ts, rate };
    });
  }
  return out;
}

async function write(rows: Record<string, Row[]>): Promise<void> {
  const ilp = await makeIlp(config);
  try {
    await ilp.write(async (sender) => {
      for (const [currency, list] of Object.entries(rows))
        for (const row of list) {
          await sender
            .table('rates')
            .symbol('source', source)
            .symbol('currency', currency)
            .floatColumn('rate', row.rate)
            .at(row.ts, 'ms');
          series[currency]!.set(row.ts, row.rate);
        }
    });
  } finally {
    await ilp.close();
  }
  await waitForSettled(db);
}

// ---- the independent computation ----

const rowsOf = (currency: string): Row[] =>
  [...series[currency]!.entries()].map(([ts, rate]) => ({ ts, rate })).sort((a, b) => a.ts - b.ts);

const SIZE = {
  '1m': MIN,
  '5m': 5 * MIN,
  '15m': 15 * MIN,
  '30m': 30 * MIN,
  '1h': HOUR,
  '4h': 4 * HOUR,
  '1d': DAY,
  '1w': 7 * DAY,
};

/** Calendar bucket start, written independently of sql/analytics.ts. */
function bucketStart(interval: SampleInterval, ts: number): number {
  const d = new Date(ts);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (interval === '1M') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  if (interval === '1w') return midnight - ((d.getUTCDay() + 6) % 7) * DAY;
  return midnight + Math.floor((ts - midnight) / SIZE[interval]) * SIZE[interval];
}
function nextBucket(interval: SampleInterval, start: number): number {
  if (interval !== '1M') return start + SIZE[interval];
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

type Expected = {
  ts: number;
  min: number;
  max: number;
  mean: number;
  first: number;
  last: number;
  count: number;
};

function aggregate(rows: Row[]): Omit<Expected, 'ts'> {
  const rates = rows.map((r) => r.rate);
  const sum = rates.reduce((a, b) => a + b, 0);
  return {
    min: Math.min(...rates),
    max: Math.max(...rates),
    mean: sum / rates.length,
    first: rates[0]!,
    last: rates.at(-1)!,
    count: rates.length,
  };
}

/** Buckets (with rows) of `interval` whose start lies in [from, to). */
function expectedBuckets(currency: string, interval: SampleInterval, from: number, to: number): Expected[] {
  const groups = new Map<number, Row[]>();
  for (const row of rowsOf(currency)) {
    const b = bucketStart(interval, row.ts);
    if (b < bucketStart(interval, from) || b >= to) continue;
    groups.set(b, [...(groups.get(b) ?? []), row]);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([ts, rows]) => ({ ts, ...aggregate(rows) }));
}

function expectRel(actual: number | null | undefined, expected: number, what: string, rel = 1e-9): void {
  expect(actual, what).toBeTypeOf('number');
  const err = Math.abs((actual as number) - expected);
  expect(err, `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    rel * Math.max(Math.abs(expected), 1e-12),
  );
}

type Got = {
  ts: Date;
  min: number | null;
  max: number | null;
  mean: number | null;
  first: number | null;
  last: number | null;
  count: number;
};

function expectBuckets(got: Got[], want: Expected[], what: string): void {
  expect(
    got.map((b) => new Date(b.ts).toISOString()),
    `${what}: bucket starts`,
  ).toEqual(want.map((b) => new Date(b.ts).toISOString()));
  got.forEach((b, i) => {
    const w = want[i]!;
    const at = `${what} @ ${new Date(w.ts).toISOString()}`;
    expect([b.count, b.min, b.max, b.first, b.last], at).toEqual([w.count, w.min, w.max, w.first, w.last]);
    expectRel(b.mean, w.mean, `${at} mean`);
  });
}

// ---- the tests ----

const FROM = t('2021-02-01T00:00:00Z');
const TO = t('2021-05-01T00:00:00Z');

beforeAll(async () => {
  await write(buildData());
}, 60_000);
afterAll(() => db.end());

describe('materialized views rates_1h and rates_1d', () => {
  it('hold exactly the hourly and daily aggregates of the raw rows, per currency', async () => {
    for (const currency of ['EUR', 'USD']) {
      expectBuckets(
        await analytics.hourly(source, currency, FROM, TO),
        expectedBuckets(currency, '1h', FROM, TO),
        `${currency} 1h`,
      );
      expectBuckets(
        await analytics.daily(source, currency, FROM, TO),
        expectedBuckets(currency, '1d', FROM, TO),
        `${currency} 1d`,
      );
    }
  });

  it('return the buckets overlapping the range, from a bound inside an hour', async () => {
    const got = await analytics.hourly(source, 'EUR', t('2021-03-14T23:30:00Z'), t('2021-03-15T01:00:00Z'));
    expect(got.map((b) => b.ts.toISOString())).toEqual([
      '2021-03-14T23:00:00.000Z',
      '2021-03-15T00:00:00.000Z',
    ]);
  });

  it('are recomputed when rows arrive late in, or replace a minute of, a bucket already refreshed', async () => {
    const before = await analytics.hourly(
      source,
      'EUR',
      t('2021-03-15T02:00:00Z'),
      t('2021-03-15T03:00:00Z'),
    );
    expect(before[0]?.count).toBe(30);
    await write({
      EUR: [
        // late minutes inside the gap, in an hour the view already holds
        { ts: t('2021-03-15T02:45:00Z'), rate: 51_000.5 },
        { ts: t('2021-03-15T02:59:00Z'), rate: 53_000.25 },
        // a replacement (DEDUP UPSERT) of the last minute before midnight: a new minimum, same count
        { ts: t('2021-03-14T23:59:00Z'), rate: 40_000.75 },
        // the midnight minute itself replaced: a new maximum and the first rate of the day
        { ts: t('2021-03-15T00:00:00Z'), rate: 60_000.125 },
      ],
    });
    for (const [interval, fn] of [
      ['1h', analytics.hourly],
      ['1d', analytics.daily],
    ] as const)
      expectBuckets(
        await fn(source, 'EUR', FROM, TO),
        expectedBuckets('EUR', interval, FROM, TO),
        `after late rows ${interval}`,
      );
    const after = await analytics.hourly(source, 'EUR', t('2021-03-15T02:00:00Z'), t('2021-03-15T03:00:00Z'));
    expect([after[0]?.count, after[0]?.last]).toEqual([32, 53_000.25]);
    const [sunday, monday] = await analytics.daily(
      source,
      'EUR',
      t('2021-03-14T00:00:00Z'),
      t('2021-03-16T00:00:00Z'),
    );
    expect([sunday?.min, sunday?.last, monday?.max, monday?.first]).toEqual([
      40_000.75, 40_000.75, 60_000.125, 60_000.125,
    ]);
  });
});

describe('ad hoc SAMPLE BY', () => {
  it('matches the raw rows at every allowed interval, calendar-aligned, without FILL', async () => {
    // Bounds inside buckets: the range widens to whole buckets.
    const from = t('2021-03-14T20:07:00Z');
    const to = t('2021-03-16T00:01:30Z');
    for (const interval of SAMPLE_INTERVALS) {
      const got = await analytics.sampled(source, 'EUR', interval, from, to);
      const want = expectedBuckets(
        'EUR',
        interval,
        from,
        nextBucket(interval, bucketStart(interval, to - 1)),
      );
      expectBuckets(got, want, `sampled ${interval}`);
    }
  });

  it('with FILL returns every bucket of the range, empty ones with NULL statistics and count 0', async () => {
    const cases: [SampleInterval, number, number][] = [
      ['1m', t('2021-03-15T02:25:00Z'), t('2021-03-15T05:03:00Z')],
      ['15m', t('2021-03-14T20:00:00Z'), t('2021-03-15T09:00:00Z')],
      ['4h', t('2021-03-14T16:00:00Z'), t('2021-03-16T04:00:00Z')],
      ['1d', t('2021-03-13T00:00:00Z'), t('2021-03-18T00:00:00Z')],
      ['1w', t('2021-03-01T00:00:00Z'), t('2021-04-05T00:00:00Z')],
      ['1M', t('2021-01-15T00:00:00Z'), t('2021-04-15T00:00:00Z')],
    ];
    for (const [interval, from, to] of cases) {
      const got = await analytics.sampled(source, 'EUR', interval, from, to, true);
      const withRows = new Map(expectedBuckets('EUR', interval, from, to).map((b) => [b.ts, b]));
      const want: Got[] = [];
      for (let b = bucketStart(interval, from); b < to; b = nextBucket(interval, b)) {
        const w = withRows.get(b);
        want.push(
          w
            ? { ...w, ts: new Date(b) }
            : { ts: new Date(b), min: null, max: null, mean: null, first: null, last: null, count: 0 },
        );
      }
      expect(
        got.map((b) => b.ts.toISOString()),
        `filled ${interval}`,
      ).toEqual(want.map((b) => b.ts.toISOString()));
      got.forEach((b, i) => {
        const w = want[i]!;
        expect(
          [b.count, b.min, b.max, b.first, b.last],
          `filled ${interval} @ ${w.ts.toISOString()}`,
        ).toEqual([w.count, w.min, w.max, w.first, w.last]);
        if (w.mean === null) expect(b.mean).toBeNull();
        else expectRel(b.mean, w.mean, `filled ${interval} mean`);
      });
      expect(
        got.some((b) => b.count === 0),
        `${interval} has empty buckets`,
      ).toBe(true);
    }
  });
});

describe('rolling statistics over RANGE frames', () => {
  const windows = { '30m': 30 * MIN, '1h': HOUR, '1d': DAY } as const;

  /** For each row in [from, to): count, mean and sample std of the rows in (t - w, t], two-pass. */
  function expectedRolling(currency: string, w: number, from: number, to: number) {
    const rows = rowsOf(currency);
    return rows
      .filter((r) => r.ts >= from && r.ts < to)
      .map((r) => {
        const inWindow = rows.filter((x) => x.ts > r.ts - w && x.ts <= r.ts).map((x) => x.rate);
        const n = inWindow.length;
        const mean = inWindow.reduce((a, b) => a + b, 0) / n;
        const std = n > 1 ? Math.sqrt(inWindow.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : null;
        return { ts: r.ts, rate: r.rate, count: n, mean, std };
      });
  }

  it('match a two-pass computation for 30m, 1h and 1d windows, across the gap and midnight', async () => {
    const from = t('2021-03-14T21:40:00Z');
    const to = t('2021-03-16T01:00:00Z');
    for (const [window, w] of Object.entries(windows) as [keyof typeof windows, number][]) {
      const got = await analytics.rolling(source, 'EUR', window, from, to);
      const want = expectedRolling('EUR', w, from, to);
      expect(
        got.map((r) => r.ts.getTime()),
        window,
      ).toEqual(want.map((r) => r.ts));
      got.forEach((g, i) => {
        const e = want[i]!;
        const at = `${window} @ ${new Date(e.ts).toISOString()}`;
        expect([g.rate, g.count], at).toEqual([e.rate, e.count]);
        expectRel(g.mean, e.mean, `${at} mean`);
        if (e.std === null) expect(g.std, at).toBeNull();
        else expectRel(g.std, e.std, `${at} std`);
      });
    }
  });

  it('never stretch a window over a gap, and warm up from rows before the range', async () => {
    // The first row after the 02:59-05:00 gap (05:00 itself may be one of the missing minutes).
    const afterGap = rowsOf('EUR').find((r) => r.ts >= t('2021-03-15T05:00:00Z'))!.ts;
    const [first30] = await analytics.rolling(source, 'EUR', '30m', afterGap, afterGap + MIN);
    const [first1h] = await analytics.rolling(source, 'EUR', '1h', afterGap, afterGap + MIN);
    expect([first30?.count, first30?.std, first1h?.count]).toEqual([1, null, 1]);
    // Starting mid-run, the first row's window is already full: 30 minute rows, 29 of them before `from`.
    const [warm] = await analytics.rolling(
      source,
      'EUR',
      '30m',
      t('2021-03-14T23:00:00Z'),
      t('2021-03-14T23:01:00Z'),
    );
    expect(warm?.count).toBe(30);
  });

  it('gives the trailing 24-hour mean at each hour from rates_1h, equal to the raw minutes', async () => {
    const from = t('2021-03-15T00:00:00Z');
    const to = t('2021-03-16T02:00:00Z');
    const got = await analytics.trailingDayMeanByHour(source, 'EUR', from, to);
    const rows = rowsOf('EUR');
    const hours = [...new Set(rows.map((r) => bucketStart('1h', r.ts)))]
      .filter((h) => h >= from && h < to)
      .sort((a, b) => a - b);
    expect(got.map((g) => g.ts.getTime())).toEqual(hours);
    got.forEach((g) => {
      const inWindow = rows.filter((r) => r.ts >= g.ts.getTime() - 23 * HOUR && r.ts < g.ts.getTime() + HOUR);
      expect(g.count).toBe(inWindow.length);
      expectRel(
        g.mean,
        inWindow.reduce((a, r) => a + r.rate, 0) / inWindow.length,
        `trailing @ ${g.ts.toISOString()}`,
      );
    });
  });
});
