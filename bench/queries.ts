/**
 * `npm run bench:queries`: latency of the aggregate queries on a year of minute data for 25 currencies (about
 * 13 million rows), from the materialized views and, as the baseline measured in the same run, the same results
 * computed by SAMPLE BY on the raw table. Prints the machine, the inputs, p50/p95 of each query and the target.
 *
 * It runs its own QuestDB (ports 29000/28812/29009/29003 plus BENCH_PORT_OFFSET, data in .stack/bench/), writes
 * the data through ILP once and keeps it there, so later runs skip generation (`--fresh` starts over).
 * Options: --currencies N (25), --days N (365), --iterations N (50).
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchFlags } from './flags.ts';
import { parseConfig } from '../common/config.ts';
import { makeLogger } from '../common/log.ts';
import { makeAnalytics, type Bucket } from '../sql/analytics.ts';
import { makeDb, type Db } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import { runMigrations } from '../migrations/migrate.ts';
import { mulberry32 } from '../forecast/gp/index.ts';
import { findJava, installQuestdb, startQuestdb } from '../stack/questdb.ts';
import { isUp, stopManaged, type Managed } from '../stack/process.ts';
import { waitSettled, writeRandomWalk } from './year-data.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const Q = loadQueries('./queries.sql', import.meta.url);
const SOURCE = 'bench';
const DAY = 86_400_000;
const START = Date.UTC(2023, 0, 1);
const TARGET_P95_MS = 50;
const say = (s: string) => process.stdout.write(`${s}\n`);

const { values: opts, counts } = benchFlags(
  'queries',
  {
    currencies: { type: 'string', default: '25' },
    days: { type: 'string', default: '365' },
    iterations: { type: 'string', default: '50' },
    fresh: { type: 'boolean', default: false },
  },
  { currencies: 1, days: 1, iterations: 1 },
);
const CURRENCIES = Array.from({ length: counts.currencies }, (_, i) => `C${String(i).padStart(2, '0')}`);
const DAYS = counts.days;
const ITERATIONS = counts.iterations;
const END = START + DAYS * DAY;
const EXPECTED_ROWS = CURRENCIES.length * DAYS * 1440;

const offset = Number(process.env.BENCH_PORT_OFFSET ?? 0);
const config = parseConfig({
  LOG_LEVEL: 'warn',
  QUESTDB_HTTP_PORT: String(29000 + offset),
  QUESTDB_PG_PORT: String(28812 + offset),
  QUESTDB_ILP_TCP_PORT: String(29009 + offset),
  QUESTDB_HEALTH_PORT: String(29003 + offset),
});

/** Write the year of data, then wait for QuestDB to apply it. */
async function generate(): Promise<void> {
  const ilp = await makeIlp(config, { requestTimeoutMs: 120_000, retryTimeoutMs: 60_000 });
  try {
    await writeRandomWalk(ilp, { source: SOURCE, currencies: CURRENCIES, start: START, end: END, say });
  } finally {
    await ilp.close();
  }
  say('  waiting for WAL apply and view refresh ...');
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');

/** Nearest-rank percentile of sorted samples. */
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

type Case = {
  name: string;
  input: string;
  view: (currency: string, from: number) => Promise<unknown[]>;
  raw: (currency: string, from: number) => Promise<unknown[]>;
  /** Range start for iteration i, so iterations read different data. */
  from: (r: () => number) => number;
};

function cases(db: Db): Case[] {
  const a = makeAnalytics(db);
  const rawTrailing = pick(Q, 'trailingDayMeanByHourRaw');
  const iso = (ms: number) => new Date(ms).toISOString();
  const randomDay = (span: number) => (r: () => number) =>
    START + Math.floor(r() * (DAYS - span)) * DAY + DAY;
  return [
    {
      name: '1-hour aggregates',
      input: '30 days of hourly min/max/mean/first/last/count, one currency (720 rows)',
      view: (c, from) => a.hourly(SOURCE, c, from, from + 30 * DAY),
      raw: (c, from) => a.sampled(SOURCE, c, '1h', from, from + 30 * DAY),
      from: randomDay(31),
    },
    {
      name: '1-day aggregates',
      input: `the whole ${DAYS} days of daily aggregates, one currency (${DAYS} rows)`,
      view: (c) => a.daily(SOURCE, c, START, END),
      raw: (c) => a.sampled(SOURCE, c, '1d', START, END),
      from: () => START,
    },
    {
      name: 'rolling 24h mean, 1 week',
      input: 'trailing 24-hour mean at each hour of a week, one currency (168 rows)',
      view: (c, from) => a.trailingDayMeanByHour(SOURCE, c, from, from + 7 * DAY),
      raw: (c, from) => db.query(rawTrailing, [SOURCE, c, iso(from), iso(from + 7 * DAY)]),
      from: randomDay(8),
    },
  ];
}

/** The view and the baseline must agree before their speed is compared. */
function sameResult(view: unknown[], raw: unknown[], what: string): void {
  const key = (x: unknown) => {
    const b = x as Partial<Bucket> & { ts: Date; mean: number; count: number | string };
    return {
      ts: b.ts.getTime(),
      count: Number(b.count),
      mean: b.mean,
      min: b.min ?? null,
      max: b.max ?? null,
    };
  };
  const [v, w] = [view.map(key), raw.map(key)];
  const bad =
    v.length !== w.length ||
    v.some((x, i) => {
      const y = w[i]!;
      return (
        x.ts !== y.ts ||
        x.count !== y.count ||
        x.min !== y.min ||
        x.max !== y.max ||
        Math.abs(x.mean - y.mean) > 1e-9 * Math.abs(y.mean)
      );
    });
  if (bad || v.length === 0)
    throw new Error(`${what}: the view and the raw baseline disagree (${v.length} vs ${w.length} rows)`);
}

async function main(): Promise<void> {
  const stackDir = resolve(ROOT, '.stack');
  const root = resolve(stackDir, 'bench', `questdb-${offset}`);
  let started: Managed | null = null;
  const host = config.QUESTDB_HOST;
  if (await isUp(`http://${host}:${config.QUESTDB_HEALTH_PORT}/`)) {
    if (opts.fresh) throw new Error('--fresh needs the bench QuestDB stopped first');
    say(`reusing the QuestDB already answering on ${config.QUESTDB_HTTP_PORT}`);
  } else {
    if (opts.fresh) rmSync(root, { recursive: true, force: true });
    const jar = await installQuestdb(stackDir, say);
    say(`starting a QuestDB of its own on ${host}:${config.QUESTDB_HTTP_PORT} (data in ${root}) ...`);
    started = await startQuestdb({
      jar,
      root,
      host,
      name: 'questdb-bench',
      ports: {
        http: config.QUESTDB_HTTP_PORT,
        pg: config.QUESTDB_PG_PORT,
        ilpTcp: config.QUESTDB_ILP_TCP_PORT,
        health: config.QUESTDB_HEALTH_PORT,
      },
    });
  }
  const db = makeDb(config, 2);
  try {
    await runMigrations(db, makeLogger('migrate', 'warn')).catch((err: unknown) => {
      throw new Error(`the kept bench data predates a schema change: run again with --fresh`, { cause: err });
    });
    const have = Number((await db.query<{ n: string }>(pick(Q, 'countRows'), [SOURCE]))[0]?.n ?? 0);
    if (have === EXPECTED_ROWS) say(`data already there: ${have.toLocaleString('en-US')} rows`);
    else {
      say(
        `generating ${EXPECTED_ROWS.toLocaleString('en-US')} rows through ILP (have ${have.toLocaleString('en-US')}) ...`,
      );
      await generate();
    }
    await waitSettled(db, { timeoutMs: 20 * 60_000, pollMs: 500 });
    const build = (await db.query<{ build: string }>(pick(Q, 'build')))[0]?.build ?? '?';
    const java = spawnSync(findJava(), ['-version'], { encoding: 'utf8' }).stderr.split('\n')[0] ?? '?';

    const cpu = cpus();
    say('');
    say('machine');
    say(`  cpu      ${cpu[0]?.model ?? '?'} x ${cpu.length} cores`);
    say(`  memory   ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}`);
    say(`  node     ${process.version}`);
    say(
      `  load     ${load()} (1/5/15 min) before measuring: other work on the machine shows up in the latencies`,
    );
    say(`  questdb  ${build.replace('Build Information: ', '')}`);
    say(`  jvm      ${java}; -Xmx2g, shared.worker.count=2 (stack/questdb.ts)`);
    say('inputs');
    say(
      `  rows     ${EXPECTED_ROWS.toLocaleString('en-US')} in rates: ${CURRENCIES.length} currencies x ${DAYS} days x 1440 minutes, source "${SOURCE}"`,
    );
    say(
      `  period   ${new Date(START).toISOString().slice(0, 10)} .. ${new Date(END).toISOString().slice(0, 10)}`,
    );
    say(
      `  runs     ${ITERATIONS} timed per query after 5 warm-up runs; view and baseline interleaved, random currency and range`,
    );
    say('');

    const r = mulberry32(7);
    const rows: string[][] = [['query', 'from', 'p50 ms', 'p95 ms', `p95 < ${TARGET_P95_MS} ms`]];
    for (const c of cases(db)) {
      const currency = CURRENCIES[0]!;
      const from = c.from(r);
      sameResult(await c.view(currency, from), await c.raw(currency, from), c.name);
      const times = { view: [] as number[], raw: [] as number[] };
      for (let i = -5; i < ITERATIONS; i++) {
        const cur = CURRENCIES[Math.floor(r() * CURRENCIES.length)]!;
        const f = c.from(r);
        for (const kind of ['view', 'raw'] as const) {
          const t0 = performance.now();
          await c[kind](cur, f);
          if (i >= 0) times[kind].push(performance.now() - t0);
        }
      }
      const v = times.view.sort((x, y) => x - y);
      const w = times.raw.sort((x, y) => x - y);
      const ok = percentile(v, 95) < TARGET_P95_MS;
      say(`${c.name}: ${c.input}`);
      rows.push([
        c.name,
        'view',
        percentile(v, 50).toFixed(1),
        percentile(v, 95).toFixed(1),
        ok ? 'yes' : 'NO',
      ]);
      rows.push([
        '',
        'raw SAMPLE BY (baseline)',
        percentile(w, 50).toFixed(1),
        percentile(w, 95).toFixed(1),
        '',
      ]);
    }
    say('');
    say(`load after measuring: ${load()}`);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows)
      say(row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  '));
    // The table as data, for the combined report of `npm run bench`.
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(
      'bench/results/queries.json',
      JSON.stringify(
        { at: new Date().toISOString(), targetP95Ms: TARGET_P95_MS, load: load(), table: rows },
        null,
        2,
      ),
    );
  } finally {
    await db.end();
    if (started) await stopManaged(started, 30_000);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
