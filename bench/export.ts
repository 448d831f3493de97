/**
 * `npm run bench:export`: the curated-lake export's throughput for one UTC day of 25 currencies (one source, a
 * row a minute: 36,000 rates rows), beside the time QuestDB takes to scan the same rows, and Spark's local-mode
 * run of spark/aggregates.sql over the exported day for reference.
 *
 * Each round, interleaved: the export (exportDay: count, /exp Parquet, staging upload, copy, delete, record),
 * QuestDB's Parquet answer alone (/exp), and the baselines: the same rows fetched over PG wire (SELECT of every
 * column, the rows materialized in the client) and an aggregate scan of the day (count, sum, min, max) in
 * QuestDB. Runs its own QuestDB and moto (test ports + 800 + BENCH_PORT_OFFSET). Options: --rounds N (7),
 * --no-spark. Writes bench/results/export.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { benchFlags } from './flags.ts';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { makeS3 } from '../common/aws.ts';
import { systemClock } from '../common/clock.ts';
import { makeExporter } from '../lake/export.ts';
import { DAY_MS, partKey } from '../lake/layout.ts';
import { makeDb } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import { installSpark, runSparkSql } from '../stack/spark.ts';
import { PYSPARK_VERSION, QUESTDB_VERSION } from '../stack/versions.ts';
import { waitForWal } from '../sql/wal.ts';
import { startPrivateStack } from '../test/support/private-stack.ts';

const { values: opts, counts } = benchFlags(
  'export',
  { rounds: { type: 'string', default: '7' }, 'no-spark': { type: 'boolean', default: false } },
  { rounds: 1 },
);
const ROUNDS = counts.rounds;
const DAY = Date.UTC(2024, 5, 3);
const CURRENCIES =
  'USD EUR GBP JPY CHF CAD AUD NZD SEK NOK DKK PLN CZK HUF RON TRY ZAR BRL MXN INR CNY HKD SGD KRW TWD'.split(
    ' ',
  );
const ROWS = CURRENCIES.length * 1440;
const say = (s: string) => process.stdout.write(`${s}\n`);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const loadBefore = load();
  const stack = await startPrivateStack(800 + Number(process.env.BENCH_PORT_OFFSET ?? 0));
  const { config } = stack;
  const db = makeDb(config, 2);
  const s3 = makeS3(config);
  const exportIlp = await makeIlp(config);
  const exporter = makeExporter({ db, ilp: exportIlp, s3, clock: systemClock, config });
  const day = new Date(DAY).toISOString().slice(0, 10);
  const iso = (ms: number) => new Date(ms).toISOString();
  try {
    const ilp = await makeIlp(config);
    try {
      await ilp.write(async (s) => {
        for (let m = 0; m < 1440; m++)
          for (const [i, c] of CURRENCIES.entries())
            await s
              .table('rates')
              .symbol('source', 'blockchain')
              .symbol('currency', c)
              .floatColumn('rate', 60_000 + i * 100 + Math.sin(m / 30) * 50)
              .timestampColumn('quote_ts', DAY + m * 60_000 + 1234, 'ms')
              .at(DAY + m * 60_000, 'ms');
      });
    } finally {
      await ilp.close();
    }
    await waitForWal(db, ['rates']);

    const url = `http://${config.QUESTDB_HOST}:${config.QUESTDB_HTTP_PORT}/exp?fmt=parquet&query=${encodeURIComponent(
      `SELECT ts, source, currency, rate, quote_ts FROM rates WHERE ts >= ${DAY * 1000}::timestamp AND ts < ${(DAY + DAY_MS) * 1000}::timestamp`,
    )}`;
    const timed = async (f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    const runs = {
      exportMs: [] as number[],
      expMs: [] as number[],
      fetchMs: [] as number[],
      scanMs: [] as number[],
    };
    let bytes = 0;
    for (let r = -1; r < ROUNDS; r++) {
      const e = await timed(async () => {
        const x = await exporter.exportDay('rates', DAY);
        if (x.rows !== ROWS) throw new Error(`exported ${x.rows} rows, expected ${ROWS}`);
        bytes = x.bytes;
      });
      const p = await timed(async () => (await fetch(url)).arrayBuffer());
      const f = await timed(async () => {
        const rows = await db.query(
          'SELECT ts, source, currency, rate, quote_ts FROM rates WHERE ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp',
          [iso(DAY), iso(DAY + DAY_MS)],
        );
        if (rows.length !== ROWS) throw new Error(`fetched ${rows.length} rows`);
      });
      const sc = await timed(() =>
        db.query(
          'SELECT count(), sum(rate), min(rate), max(rate), max(quote_ts) FROM rates WHERE ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp',
          [iso(DAY), iso(DAY + DAY_MS)],
        ),
      );
      if (r < 0) continue; // warm-up
      runs.exportMs.push(e);
      runs.expMs.push(p);
      runs.fetchMs.push(f);
      runs.scanMs.push(sc);
    }
    const m = {
      exportMs: median(runs.exportMs),
      expMs: median(runs.expMs),
      fetchMs: median(runs.fetchMs),
      scanMs: median(runs.scanMs),
    };

    let spark: { wallMs: number; line: string } | null = null;
    if (!opts['no-spark']) {
      const python = await installSpark(resolve(process.cwd(), config.STACK_DIR), say);
      const tmp = mkdtempSync(join(tmpdir(), 'bench-export-'));
      try {
        const file = join(tmp, partKey('rates', DAY));
        mkdirSync(dirname(file), { recursive: true });
        const res = await s3.send(
          new GetObjectCommand({ Bucket: config.RAW_BUCKET, Key: partKey('rates', DAY) }),
        );
        writeFileSync(file, await res.Body!.transformToByteArray());
        const t0 = performance.now();
        const line = await runSparkSql(python, [resolve('spark/aggregates.sql')], {
          curated: join(tmp, 'curated'),
          out: join(tmp, 'out'),
          format: 'parquet',
        });
        spark = { wallMs: performance.now() - t0, line };
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }

    const cpu = cpus();
    say('');
    say('machine');
    say(`  cpu      ${cpu[0]?.model ?? '?'} x ${cpu.length} cores`);
    say(`  memory   ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, node ${process.version}`);
    say(
      `  load     ${loadBefore} before, ${load()} after (1/5/15 min): other work on the machine shows up here`,
    );
    say(`  versions QuestDB ${QUESTDB_VERSION}, pyspark ${PYSPARK_VERSION} (local[2])`);
    say('inputs');
    say(
      `  rows     ${int(ROWS)} rates rows: ${CURRENCIES.length} currencies x 1440 minutes of ${day}, one source`,
    );
    say(`  parquet  ${int(bytes)} bytes (QuestDB's default compression)`);
    say(`  rounds   ${ROUNDS} timed after 1 warm-up, interleaved; medians`);
    say('results');
    say(
      `  export of the day (count, /exp, staging put, copy, delete, record)  ${m.exportMs.toFixed(1)} ms  ${int((ROWS * 1000) / m.exportMs)} rows/s`,
    );
    say(
      `    of which QuestDB's Parquet answer (/exp)                         ${m.expMs.toFixed(1)} ms  ${int((ROWS * 1000) / m.expMs)} rows/s`,
    );
    say(
      `  baseline: the same rows fetched over PG wire (SELECT *)            ${m.fetchMs.toFixed(1)} ms  ${int((ROWS * 1000) / m.fetchMs)} rows/s`,
    );
    say(
      `  baseline: an aggregate scan of the day in QuestDB                  ${m.scanMs.toFixed(1)} ms  ${int((ROWS * 1000) / m.scanMs)} rows/s`,
    );
    if (spark)
      say(
        `  spark local run of spark/aggregates.sql over the day (reference)    ${(spark.wallMs / 1000).toFixed(1)} s wall (${spark.line})`,
      );
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(
      'bench/results/export.json',
      JSON.stringify(
        {
          rows: ROWS,
          bytes,
          rounds: ROUNDS,
          medians: m,
          runs,
          spark,
          load: { before: loadBefore, after: load() },
          exportRowsPerSec: (ROWS * 1000) / m.exportMs,
          scanRowsPerSec: (ROWS * 1000) / m.scanMs,
          fetchRowsPerSec: (ROWS * 1000) / m.fetchMs,
        },
        null,
        2,
      ),
    );
  } finally {
    s3.destroy();
    await exportIlp.close();
    await db.end();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:export failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
