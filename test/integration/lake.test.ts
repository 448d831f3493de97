/**
 * The curated lake end to end: minute rates over four UTC days (two midnights crossed, a 2.5-hour gap,
 * scattered missing minutes, a day without rows) and a day of polls are written to QuestDB, exported day by day
 * by the lake-export job into S3 (moto), downloaded, and read by Spark in local mode. Spark's hourly and daily
 * aggregates must equal the rates_1h and rates_1d views (counts, min, max, first, last exactly; means and sums
 * to 1e-9 relative), and its rolling 1-hour mean and standard deviation must equal the dashboard's QuestDB query;
 * a single changed value must be reported.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CopyObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { systemClock } from '../../common/clock.ts';
import { makeLogger } from '../../common/log.ts';
import { mulberry32 } from '../../forecast/gp/index.ts';
import { makeLakeExport } from '../../jobs/lake-export.ts';
import { compareRows, type AggRow } from '../support/lake-compare.ts';
import { makeExporter, markChanged } from '../../lake/export.ts';
import { DAY_MS, partKey } from '../../lake/layout.ts';
import { makeAnalytics } from '../../sql/analytics.ts';
import { makeDb } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { installSpark, runSparkSql } from '../../stack/spark.ts';
import { testConfig } from './stack-env.ts';
import { waitForSettled } from './views-support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const config = testConfig();
const db = makeDb(config, 2);
const s3 = makeS3(config);
const lakeIlp = await makeIlp(config);
const exporter = makeExporter({ db, ilp: lakeIlp, s3, clock: systemClock, config });
const MIN = 60_000;
const t = (s: string) => Date.parse(s);
const source = 'test-lake';
const DAYS = ['2019-06-10', '2019-06-11', '2019-06-12', '2019-06-13', '2019-06-14'].map((d) =>
  t(`${d}T00:00:00Z`),
);
const EMPTY_DAY = DAYS[4]!;

function minutes(from: string, to: string, keep: () => boolean = () => true): number[] {
  const out: number[] = [];
  for (let m = t(from); m < t(to); m += MIN) if (keep()) out.push(m);
  return out;
}

const r = mulberry32(20190610);
const stamps = [
  ...minutes('2019-06-10T20:00:00Z', '2019-06-11T02:30:00Z'), // crosses midnight
  // 02:30-05:00 is a gap longer than the rolling window
  ...minutes('2019-06-11T05:00:00Z', '2019-06-11T09:00:00Z', () => r() > 0.15),
  ...minutes('2019-06-12T22:00:00Z', '2019-06-13T01:00:00Z'), // crosses midnight again
];
const polls = minutes('2019-06-11T00:00:00Z', '2019-06-11T00:10:00Z');

let tmp = '';
let python = '';
let sparkOut = '';
let sparkTiming = '';
const read = (dir: string): Record<string, unknown>[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  python = await installSpark(resolve(ROOT, config.STACK_DIR), (s) => process.stderr.write(`[lake] ${s}\n`));
  const ilp = await makeIlp(config);
  try {
    await ilp.write(async (sender) => {
      for (const [currency, start] of [
        ['EUR', 52_000],
        ['USD', 58_000],
      ] as const) {
        let rate = start;
        for (const ts of stamps) {
          rate += (r() - 0.5) * 40 + 0.123456789;
          await sender
            .table('rates')
            .symbol('source', source)
            .symbol('currency', currency)
            .floatColumn('rate', rate)
            .at(ts, 'ms');
        }
      }
      for (const [i, ts] of polls.entries()) {
        const row = sender.table('polls').symbol('source', source).symbol('poller', 'p1');
        if (i === 3) row.symbol('reason', 'network');
        await row
          .intColumn('attempt', 1)
          .intColumn('http_status', i === 3 ? 0 : 200)
          .floatColumn('latency_ms', 12.5 + i)
          .intColumn('bytes', 1000 + i)
          .intColumn('accepted', i === 3 ? 0 : 25)
          .intColumn('rejected', 0)
          .stringColumn('archive_id', `a${i}`)
          .stringColumn('error', i === 3 ? 'timeout' : '')
          .timestampColumn('fetched_at', ts + 500, 'ms')
          .at(ts, 'ms');
      }
    });
  } finally {
    await ilp.close();
  }
  await waitForSettled(db, { tables: ['rates', 'polls'] });

  // The job exports each day (its window) as the scheduler would run it.
  const run = makeLakeExport({ db, exporter });
  const log = makeLogger('lake-test', 'warn');
  for (const start of DAYS)
    await run({ window: { start, end: start + DAY_MS }, signal: new AbortController().signal, log });

  // Download the lake as any reader would and run the Spark SQL over it.
  tmp = mkdtempSync(join(tmpdir(), 'lake-test-'));
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: config.RAW_BUCKET, Prefix: 'curated/' }));
  for (const o of listed.Contents ?? []) {
    const file = join(tmp, o.Key!);
    mkdirSync(dirname(file), { recursive: true });
    const res = await s3.send(new GetObjectCommand({ Bucket: config.RAW_BUCKET, Key: o.Key! }));
    writeFileSync(file, await res.Body!.transformToByteArray());
  }
  sparkOut = join(tmp, 'out');
  sparkTiming = await runSparkSql(
    python,
    [resolve(ROOT, 'spark/aggregates.sql'), resolve(ROOT, 'test/fixtures/lake-polls.sql')],
    { curated: join(tmp, 'curated'), out: sparkOut, format: 'json' },
  );
}, 1_200_000);

afterAll(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  s3.destroy();
  await lakeIlp.close();
  await db.end();
});

describe('curated lake export', () => {
  it('writes one Parquet file per day with rows, nothing for an empty day, no staging leftovers', async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: config.RAW_BUCKET, Prefix: 'curated/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!).sort();
    expect(keys).toEqual(
      [...DAYS.slice(0, 4).map((d) => partKey('rates', d)), partKey('polls', DAYS[1]!)].sort(),
    );
    const recorded = await db.query<{ ts: Date; tbl: string; rows_exported: string; object_key: string }>(
      "SELECT ts, tbl, rows_exported, object_key FROM lake_exports WHERE ts >= '2019-06-10' AND ts < '2019-06-15' ORDER BY ts, tbl",
    );
    const empty = recorded.find((x) => x.ts.getTime() === EMPTY_DAY && x.tbl === 'rates');
    expect(empty).toMatchObject({ rows_exported: '0', object_key: '' });
    const perDay = (d: number) => 2 * stamps.filter((s) => s >= d && s < d + DAY_MS).length;
    for (const d of DAYS.slice(0, 4))
      expect(recorded.find((x) => x.ts.getTime() === d && x.tbl === 'rates')?.rows_exported).toBe(
        String(perDay(d)),
      );
  });

  it('keeps every polls column, short and empty strings included', () => {
    const rows = read(join(sparkOut, 'polls')).sort((a, b) => String(a.ts).localeCompare(String(b.ts)));
    expect(rows).toHaveLength(polls.length);
    expect(rows[3]).toMatchObject({
      source,
      poller: 'p1',
      attempt: 1,
      http_status: 0,
      archive_id: 'a3',
      error: 'timeout',
      reason: 'network',
    });
    expect(rows[0]).toMatchObject({
      archive_id: 'a0',
      error: '',
      accepted: 25,
      bytes: 1000,
      latency_ms: 12.5,
    });
    expect(Date.parse(String(rows[0]!.fetched_at))).toBe(polls[0]! + 500);
  });

  it('finds the days whose rows changed since their export, however old, and re-exports them', async () => {
    const all = [DAYS[0]!, DAYS[4]! + DAY_MS] as const;
    expect(await exporter.staleDays(...all)).toEqual([]);
    // A late row on the empty day and a repaired gap on the oldest (another source: the views below stay as they were).
    const ilp = await makeIlp(config);
    try {
      await ilp.write(async (s) => {
        for (const ts of [t('2019-06-14T12:00:00Z'), t('2019-06-10T12:00:00Z')])
          await s
            .table('rates')
            .symbol('source', 'test-lake-late')
            .symbol('currency', 'CHF')
            .floatColumn('rate', 1)
            .at(ts, 'ms');
      });
    } finally {
      await ilp.close();
    }
    await waitForSettled(db, { tables: ['rates'] });
    // Asked about a later week: both are found all the same, by their recorded counts.
    const later = [t('2019-07-01T00:00:00Z'), t('2019-07-08T00:00:00Z')] as const;
    expect(await exporter.staleDays(...later)).toEqual([
      { table: 'rates', dayStart: DAYS[0] },
      { table: 'rates', dayStart: EMPTY_DAY },
    ]);
    expect(await exporter.exportDay('rates', EMPTY_DAY)).toMatchObject({
      rows: 1,
      key: partKey('rates', EMPTY_DAY),
    });
    expect(await exporter.exportDay('rates', DAYS[0]!)).toMatchObject({
      rows: 2 * stamps.filter((s) => s < DAYS[1]!).length + 1,
    });
    await waitForSettled(db, { tables: ['lake_exports'], views: [] });
    expect(await exporter.staleDays(...later)).toEqual([]);
    // A rewrite in place (a forced replay) keeps the counts: it marks its days instead.
    await markChanged(lakeIlp, [DAYS[1]!], Date.now());
    await waitForSettled(db, { tables: ['lake_exports'], views: [] });
    expect(await exporter.staleDays(...later)).toEqual([
      { table: 'rates', dayStart: DAYS[1] },
      { table: 'polls', dayStart: DAYS[1] },
    ]);
    await exporter.exportDay('rates', DAYS[1]!);
    await exporter.exportDay('polls', DAYS[1]!);
    await waitForSettled(db, { tables: ['lake_exports'], views: [] });
    expect(await exporter.staleDays(...later)).toEqual([]);
  });

  it('never shows a half-written day: an export failing before or at the swap leaves the previous file', async () => {
    const key = partKey('rates', DAYS[0]!);
    const object = async () =>
      Buffer.from(
        await (
          await s3.send(new GetObjectCommand({ Bucket: config.RAW_BUCKET, Key: key }))
        ).Body!.transformToByteArray(),
      );
    const before = await object();
    // QuestDB's HTTP unreachable: nothing is written.
    const noQuestdb = makeExporter({
      db,
      ilp: lakeIlp,
      s3,
      clock: systemClock,
      config: { ...config, QUESTDB_HTTP_PORT: 1 },
    });
    await expect(noQuestdb.exportDay('rates', DAYS[0]!)).rejects.toThrow(/rates 2019-06-10.*not reachable/);
    // The upload lands in staging, then the copy to the final key fails: the staging copy is removed.
    const failingCopy = {
      send: (cmd: unknown) =>
        cmd instanceof CopyObjectCommand ? Promise.reject(new Error('copy refused')) : s3.send(cmd as never),
    } as unknown as S3Client;
    const noSwap = makeExporter({ db, ilp: lakeIlp, s3: failingCopy, clock: systemClock, config });
    await expect(noSwap.exportDay('rates', DAYS[0]!)).rejects.toThrow(/copy refused/);
    expect((await object()).equals(before)).toBe(true);
    const staging = await s3.send(
      new ListObjectsV2Command({ Bucket: config.RAW_BUCKET, Prefix: 'curated/_staging/' }),
    );
    expect(staging.Contents ?? []).toEqual([]);
  });
});

const q = async (view: 'rates_1h' | 'rates_1d') =>
  (
    await db.query<Record<string, unknown> & { ts: Date }>(
      `SELECT ts, source, currency, min_rate, max_rate, avg_rate, sum_rate, first_rate, last_rate, count FROM ${view} WHERE source = $1 AND ts < '2019-06-14'`,
      [source],
    )
  ).map((x) => ({ ...x, ts: x.ts.getTime(), count: Number(x.count) }) as unknown as AggRow);
const fromSpark = (name: string) =>
  read(join(sparkOut, name))
    .filter((x) => x.source === source)
    .map((x) => ({ ...x, ts: Date.parse(String(x.ts)), std: x.std ?? null }) as unknown as AggRow);
const AGG = {
  exact: ['count', 'min_rate', 'max_rate', 'first_rate', 'last_rate'],
  close: ['avg_rate', 'sum_rate'],
  relTol: 1e-9,
};

describe('the batch layer on Spark', () => {
  it('computes rates_1h and rates_1d as QuestDB does', async () => {
    const hourly = fromSpark('rates_1h');
    const daily = fromSpark('rates_1d');
    expect(hourly.length).toBeGreaterThan(20);
    expect(daily.map((d) => new Date(d.ts).toISOString().slice(0, 10)).sort()).toEqual([
      '2019-06-10',
      '2019-06-10',
      '2019-06-11',
      '2019-06-11',
      '2019-06-12',
      '2019-06-12',
      '2019-06-13',
      '2019-06-13',
    ]);
    expect(compareRows('rates_1h', hourly, await q('rates_1h'), AGG)).toEqual([]);
    expect(compareRows('rates_1d', daily, await q('rates_1d'), AGG)).toEqual([]);
    process.stderr.write(`[lake] ${sparkTiming}\n`);
  });

  it('computes the rolling 1-hour mean and standard deviation as the dashboard query does', async () => {
    const analytics = makeAnalytics(db);
    const spark = fromSpark('rates_rolling_1h');
    const questdb: AggRow[] = [];
    for (const currency of ['EUR', 'USD'])
      for (const x of await analytics.rolling(source, currency, '1h', new Date(DAYS[0]!), new Date(DAYS[4]!)))
        questdb.push({
          ts: x.ts.getTime(),
          source,
          currency,
          rate: x.rate,
          count: x.count,
          mean: x.mean,
          std: x.std,
        });
    expect(questdb).toHaveLength(2 * stamps.length);
    expect(
      compareRows('rolling', spark, questdb, {
        exact: ['count', 'rate'],
        close: ['mean', 'std'],
        relTol: 1e-9,
      }),
    ).toEqual([]);
  });

  it('leaves nothing in the folder it is run from', () => {
    // As docs/lake.md runs it: python spark/run_sql.py, from the folder the user is in.
    const cwd = mkdtempSync(join(tmpdir(), 'lake-cwd-'));
    const out = join(tmp, 'out-cwd');
    const args = [resolve(ROOT, 'spark/run_sql.py'), resolve(ROOT, 'spark/aggregates.sql')];
    args.push(`curated=${join(tmp, 'curated')}`, `out=${out}`, 'format=json');
    const run = spawnSync(python, args, { cwd, encoding: 'utf8', timeout: 150_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(readdirSync(out)).toContain('rates_1h');
    expect(readdirSync(cwd)).toEqual([]);
    rmSync(cwd, { recursive: true });
  }, 180_000);

  it('reports a single changed value', async () => {
    const hourly = fromSpark('rates_1h');
    const i = hourly.findIndex((h) => h.currency === 'USD');
    const changed = hourly.map((h, j) =>
      j === i ? { ...h, avg_rate: (h.avg_rate as number) * (1 + 1e-8) } : h,
    );
    const mismatches = compareRows('rates_1h', changed, await q('rates_1h'), AGG);
    expect(mismatches).toHaveLength(1);
    expect(mismatches[0]).toMatch(/USD: avg_rate/);
    const counted = hourly.map((h, j) => (j === i ? { ...h, max_rate: (h.max_rate as number) + 1e-9 } : h));
    expect(compareRows('rates_1h', counted, await q('rates_1h'), AGG)).toHaveLength(1);
  });
});
