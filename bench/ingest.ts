/**
 * `npm run bench:ingest`: how long the poller takes from an API response to its rows being queryable in QuestDB,
 * and how fast the normalizer turns raw envelopes into rows, each beside a baseline measured in the same run:
 *
 * - latency: N rounds polling all four sources of the in-process fake APIs through the real pipeline (Firehose on
 *   the emulator first, then ILP over HTTP into QuestDB), timed from the moment each response was complete (the
 *   envelope's `fetchedAt`) until a PG query sees all of that source's rows of the minute; the baseline is a bare
 *   ILP write of one row read back through PG until visible, interleaved with the rounds, N times.
 * - throughput: normalize() (and the poller's `advance`) over pre-built envelopes of each format, in rows/s (the
 *   fastest of 9 passes); the baseline is JSON.parse of the same bodies, timed in alternation with it.
 *
 * It starts its own QuestDB and emulator (test/support/private-stack.ts, the test ports shifted by 700 plus
 * BENCH_PORT_OFFSET and TEST_PORT_OFFSET) and stops them at the end. Prints the machine, the inputs and a table;
 * writes bench/results/ingest.json. Options: --polls N (200), --envelopes N per format (3000).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock, SourceName } from '../common/types.ts';
import { makeEnvelopes, type RawEnvelope } from '../ingest/archive/envelope.ts';
import { advance, normalize, type Previous } from '../ingest/normalize.ts';
import { adapterFor } from '../ingest/sources/index.ts';
import { makeDb, type Db } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import { QUESTDB_VERSION } from '../stack/versions.ts';
import { renderBlockchain, renderCoinbase, renderCoindesk, renderCoingecko } from '../fakes/formats.ts';
import { normalReply } from '../fakes/routes.ts';
import { makeFakeApi } from '../fakes/server.ts';
import { ALL_SOURCES, makeTestPoller } from '../test/integration/ingest-support.ts';
import { fakeUrls } from '../test/support/fake-urls.ts';
import { startPrivateStack } from '../test/support/private-stack.ts';
import { benchFlags } from './flags.ts';

const Q = loadQueries('./ingest.sql', import.meta.url);
const RESULTS = fileURLToPath(new URL('./results/ingest.json', import.meta.url));
const MIN = 60_000;
const SEED = 17;
const WARMUP = 5;
const say = (s: string) => process.stdout.write(`${s}\n`);

const { counts } = benchFlags(
  'ingest',
  { polls: { type: 'string', default: '200' }, envelopes: { type: 'string', default: '3000' } },
  { polls: 1, envelopes: 1 },
);
const { polls: POLLS, envelopes: ENVELOPES } = counts;

/** Nearest-rank percentile of sorted samples. */
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const summary = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), max: s.at(-1)! };
};

/**
 * A clock that runs in real time from wherever it was last set: each round is set to its own minute (so the fake
 * serves that minute and the poll's deadline lies ahead), and a clock reading maps back to `performance.now()`.
 */
function makeSteppedClock(start: number): Clock & { set(ms: number): void; toReal(ms: number): number } {
  let base = start;
  let real = performance.now();
  return {
    now: () => base + (performance.now() - real),
    sleep: async (ms) => void (base += Math.max(0, ms)), // no retries in a healthy run; never waits
    set(ms) {
      base = ms;
      real = performance.now();
    },
    toReal: (ms) => real + (ms - base),
  };
}

/**
 * Poll `probe` back to back until it is true; the moment (performance.now()) it first was. Runs beside the write
 * it watches, so its failure is held until awaited instead of ending the process with the stack still up.
 */
function whenTrue(probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const until = performance.now() + timeoutMs;
  const watch = (async () => {
    for (;;) {
      if (await probe()) return performance.now();
      if (performance.now() > until) throw new Error('rows did not become visible in time');
    }
  })();
  watch.catch(() => {});
  return watch;
}

/** Rows each source's answer for `minute` yields, computed from the fake's reply, not from the pipeline. */
function expectedCounts(base: string, minute: number): Map<string, number> {
  const urls = fakeUrls(base);
  return new Map(
    ALL_SOURCES.map((s) => {
      const reply = normalReply(s, new URL(urls[s]), minute, SEED);
      return [
        s,
        adapterFor(s).parse({ status: reply.status, headers: reply.headers, body: reply.body }).rates.length,
      ];
    }),
  );
}

type Latency = { pipeline: number[]; bySource: Record<string, number[]>; baseline: number[] };

async function measureLatency(
  stack: Awaited<ReturnType<typeof startPrivateStack>>,
  db: Db,
): Promise<Latency> {
  const { config } = stack;
  const from = Date.UTC(2033, 0, 1) + Math.floor(Math.random() * 300) * 86_400_000;
  const baselineFrom = from + 10 * 86_400_000;
  const clock = makeSteppedClock(from);
  const fake = makeFakeApi({ seed: SEED, clock });
  const base = await fake.start(0);
  const spoolDir = mkdtempSync(join(tmpdir(), 'bench-spool-'));
  const t = await makeTestPoller({ config, base, clock, pollerId: 'bench', spoolDir });
  const ilp = await makeIlp(config);
  const out: Latency = { pipeline: [], bySource: {}, baseline: [] };
  const ratesBySource = pick(Q, 'ratesBySource');
  try {
    for (let i = -WARMUP; i < POLLS; i++) {
      // The pipeline: one round of every source, rows watched from before the round starts.
      const minute = from + (i + WARMUP) * MIN;
      const iso = new Date(minute).toISOString();
      const expected = expectedCounts(base, minute);
      const seen = new Map<string, number>();
      clock.set(minute + 1_000);
      const watching = whenTrue(async () => {
        for (const r of await db.query<{ source: string; n: string }>(ratesBySource, [iso]))
          if (!seen.has(r.source) && Number(r.n) >= (expected.get(r.source) ?? Infinity))
            seen.set(r.source, performance.now());
        return seen.size === expected.size;
      });
      const summaries = await t.poller.pollRound(minute);
      if (summaries.some((s) => s.archive !== 'sent' || s.store !== 'sent'))
        throw new Error(`round ${i}: ${JSON.stringify(summaries)}`);
      await watching;
      // The poll rows (another table, so another WAL transaction) hold when each response was complete.
      let fetched: { source: string; fetched_at: Date }[] = [];
      await whenTrue(async () => {
        fetched = await db.query(pick(Q, 'fetchedAt'), [iso, 'bench']);
        return fetched.length === ALL_SOURCES.length;
      });
      if (i >= 0)
        for (const f of fetched) {
          const ms = seen.get(f.source)! - clock.toReal(f.fetched_at.getTime());
          out.pipeline.push(ms);
          (out.bySource[f.source] ??= []).push(ms);
        }

      // The baseline: one bare ILP row, read back through PG until visible.
      const ts = baselineFrom + (i + WARMUP) * MIN;
      const t0 = performance.now();
      const visible = whenTrue(async () => {
        const [r] = await db.query<{ n: string }>(pick(Q, 'baselineRows'), [
          new Date(ts).toISOString(),
          'baseline',
        ]);
        return Number(r?.n ?? 0) === 1;
      });
      await ilp.write(async (s) => {
        await s
          .table('rates')
          .symbol('source', 'baseline')
          .symbol('currency', 'USD')
          .floatColumn('rate', 1)
          .at(ts, 'ms');
      });
      const t1 = await visible;
      if (i >= 0) out.baseline.push(t1 - t0);
      if (i >= 0 && (i + 1) % 50 === 0) say(`  ${i + 1}/${POLLS} rounds`);
    }
  } finally {
    await t.close();
    await ilp.close().catch(() => {});
    await fake.stop();
    rmSync(spoolDir, { recursive: true, force: true });
  }
  return out;
}

type Format = { source: SourceName; envelopes: RawEnvelope[]; bytes: number; rows: number };

/** ENVELOPES envelopes of each format, one per consecutive minute, as the poller would have archived them. */
function buildEnvelopes(): Format[] {
  const start = Date.UTC(2034, 0, 1);
  const gecko = {
    ids: ['bitcoin'],
    vsCurrencies: ['usd', 'eur', 'gbp', 'jpy', 'cny', 'inr', 'brl', 'cad', 'aud', 'chf'],
    includeLastUpdatedAt: true,
    include24hrChange: false,
    includeMarketCap: false,
    include24hrVol: false,
  };
  const render: Partial<Record<SourceName, (m: number) => string>> = {
    blockchain: (m) => renderBlockchain(m, SEED),
    coinbase: (m) => renderCoinbase(m, SEED),
    coingecko: (m) => renderCoingecko(m, SEED, gecko),
    coindesk: (m) => renderCoindesk(m, SEED),
  };
  return ALL_SOURCES.map((source) => {
    const envelopes = Array.from({ length: ENVELOPES }, (_, i) => {
      const minute = start + i * MIN;
      const body = Buffer.from(render[source]!(minute));
      return makeEnvelopes({
        source,
        url: `http://127.0.0.1/${source}`,
        minute,
        attempts: [
          {
            attempt: 1,
            fetchedAt: minute + 400,
            latencyMs: 5,
            status: 200,
            headers: {},
            body,
            bodyTruncated: false,
            error: null,
          },
        ],
        poller: 'bench',
      })[0]!;
    });
    const bytes = envelopes.reduce((a, e) => a + Buffer.byteLength(e.body), 0);
    return { source, envelopes, bytes, rows: 0 };
  });
}

type Throughput = {
  normalizeRowsPerS: number;
  jsonParseRowsPerS: number;
  normalizeMs: number;
  jsonParseMs: number;
};

/**
 * normalize+advance, and JSON.parse, over one format: 9 timed passes of each, alternating so both see the same
 * machine, after 2 warm-up passes; the fastest pass of each counts (the least disturbed by other work).
 */
function measureThroughput(f: Format): Throughput {
  const adapter = adapterFor(f.source);
  const normalizeAll = () => {
    const prev = new Map<string, Previous>();
    let rows = 0;
    for (const e of f.envelopes) {
      const n = normalize(e, adapter, prev);
      advance(prev, n.rates);
      rows += n.rates.length;
    }
    return rows;
  };
  const parseAll = () => {
    let keys = 0;
    for (const e of f.envelopes) keys += Object.keys(JSON.parse(e.body) as object).length;
    return keys;
  };
  const time = (fn: () => number) => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  f.rows = normalizeAll();
  let normalizeMs = Infinity;
  let jsonParseMs = Infinity;
  for (let i = -2; i < 9; i++) {
    const n = time(normalizeAll);
    const j = time(parseAll);
    if (i < 0) continue;
    normalizeMs = Math.min(normalizeMs, n);
    jsonParseMs = Math.min(jsonParseMs, j);
  }
  return {
    normalizeMs,
    jsonParseMs,
    normalizeRowsPerS: f.rows / (normalizeMs / 1000),
    jsonParseRowsPerS: f.rows / (jsonParseMs / 1000),
  };
}

const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    say(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

async function main(): Promise<void> {
  const started = Date.now();
  say('normalizer throughput ...');
  const formats = buildEnvelopes();
  const throughput = formats.map((f) => ({ f, r: measureThroughput(f) }));

  say('starting a private QuestDB and emulator (test ports + 700) ...');
  const stack = await startPrivateStack(700 + Number(process.env.BENCH_PORT_OFFSET ?? 0));
  const stop = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const db = makeDb(stack.config, 1);
  let latency: Latency;
  let build = '?';
  try {
    build = (await db.query<{ build: string }>(pick(Q, 'build')))[0]?.build ?? '?';
    say(
      `latency: ${POLLS} rounds of ${ALL_SOURCES.length} sources (+${WARMUP} warm-up), each followed by a baseline write ...`,
    );
    latency = await measureLatency(stack, db);
  } finally {
    await db.end();
    await stack.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }

  const cpu = cpus();
  const machine = {
    cpu: cpu[0]?.model ?? '?',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `Linux ${release()}`,
    node: process.version,
    questdb: build.replace('Build Information: ', ''),
    questdbPinned: QUESTDB_VERSION,
    loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  };
  const pipe = summary(latency.pipeline);
  const bare = summary(latency.baseline);
  const result = {
    benchmark: 'ingest',
    at: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 100) / 10,
    machine,
    inputs: {
      polls: POLLS,
      warmup: WARMUP,
      sources: ALL_SOURCES,
      rowsPerRound: Object.fromEntries(expectedCounts('http://127.0.0.1', Date.UTC(2033, 0, 1))),
      envelopesPerFormat: ENVELOPES,
      formats: formats.map((f) => ({
        source: f.source,
        rowsPerEnvelope: f.rows / f.envelopes.length,
        meanBodyBytes: Math.round(f.bytes / f.envelopes.length),
      })),
    },
    latencyMs: {
      what: 'response complete (envelope fetchedAt) -> all rows of that source and minute visible through PG',
      pipeline: pipe,
      bySource: Object.fromEntries(Object.entries(latency.bySource).map(([s, v]) => [s, summary(v)])),
      baseline: { what: 'bare ILP write of one row -> visible through PG', ...bare },
      ratio: { p50: pipe.p50 / bare.p50, p95: pipe.p95 / bare.p95 },
    },
    normalizer: throughput.map(({ f, r }) => ({
      source: f.source,
      rows: f.rows,
      bodyBytes: f.bytes,
      normalizeRowsPerS: Math.round(r.normalizeRowsPerS),
      jsonParseRowsPerS: Math.round(r.jsonParseRowsPerS),
      ratio: r.jsonParseRowsPerS / r.normalizeRowsPerS,
      normalizeMBPerS: f.bytes / 1e6 / (r.normalizeMs / 1000),
    })),
  };
  mkdirSync(join(RESULTS, '..'), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n');

  say('');
  say('machine');
  say(`  cpu      ${machine.cpu} x ${machine.cores} cores, load ${machine.loadAverage1m} (1 min)`);
  say(`  memory   ${machine.memoryGiB} GiB, ${machine.os}`);
  say(`  node     ${machine.node}`);
  say(`  questdb  ${machine.questdb}`);
  say('inputs');
  say(
    `  latency  ${POLLS} rounds x ${ALL_SOURCES.length} sources (${JSON.stringify(result.inputs.rowsPerRound)} rows), fake APIs in-process`,
  );
  say(
    `  normalize ${ENVELOPES} envelopes per format: ${result.inputs.formats.map((f) => `${f.source} ${f.rowsPerEnvelope} rows/${f.meanBodyBytes} B`).join(', ')}`,
  );
  say('');
  table([
    ['response -> queryable (ms)', 'p50', 'p95', 'max', 'n'],
    ['pipeline (all sources)', fmt(pipe.p50), fmt(pipe.p95), fmt(pipe.max), String(pipe.n)],
    ...Object.entries(result.latencyMs.bySource).map(([s, v]) => [
      `  ${s}`,
      fmt(v.p50),
      fmt(v.p95),
      fmt(v.max),
      String(v.n),
    ]),
    ['baseline: bare ILP row', fmt(bare.p50), fmt(bare.p95), fmt(bare.max), String(bare.n)],
    [
      'ratio pipeline / baseline',
      `${fmt(pipe.p50 / bare.p50, 2)}x`,
      `${fmt(pipe.p95 / bare.p95, 2)}x`,
      '',
      '',
    ],
  ]);
  say('');
  table([
    ['normalizer (rows/s)', 'normalize', 'JSON.parse', 'JSON.parse faster by', 'MB/s'],
    ...result.normalizer.map((n) => [
      n.source,
      n.normalizeRowsPerS.toLocaleString('en-US'),
      n.jsonParseRowsPerS.toLocaleString('en-US'),
      `${fmt(n.ratio, 2)}x`,
      fmt(n.normalizeMBPerS),
    ]),
  ]);
  say('');
  say(`written to ${RESULTS} (${result.durationS} s)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
