/**
 * `npm run bench:web`: server time of every dashboard page and fragment with a year of minute data for 25
 * currencies (about 13 million rows) loaded, driven on loopback by autocannon. Prints the machine, the inputs
 * and p50/p95 per route (server time from the Server-Timing header, and the client's latency), checks the
 * target (p95 under 50 ms), and writes bench/results/web.json.
 *
 * It runs a QuestDB of its own (ports 29500/29312/29509/29503 plus BENCH_PORT_OFFSET, data kept in
 * .stack/bench/web-questdb-N so later runs skip generation; `--fresh` starts over) and the real dashboard
 * service (web/main.ts) as a child process, its clock fixed at the end of the data so "last day" means the
 * newest day generated. Options: --currencies N (25), --days N (365), --requests N (300 per route),
 * --connections N (1: a dashboard has few users, and on 2 cores more would measure queueing).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchFlags } from './flags.ts';
import autocannon from 'autocannon';
import { parseConfig } from '../common/config.ts';
import { makeLogger } from '../common/log.ts';
import { makeDb } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import { runMigrations } from '../migrations/migrate.ts';
import { mulberry32 } from '../forecast/gp/index.ts';
import { installQuestdb, startQuestdb } from '../stack/questdb.ts';
import { isUp, stopManaged, waitForHttp, type Managed } from '../stack/process.ts';
import { writeSeed } from '../test/integration/web-support.ts';
import { waitSettled, writeRandomWalk } from './year-data.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const Q = loadQueries('./queries.sql', import.meta.url);
const SOURCE = 'bench';
const MIN = 60_000;
const DAY = 86_400_000;
const TARGET_P95_MS = 50;
const say = (s: string) => process.stdout.write(`${s}\n`);

const { values: opts, counts } = benchFlags(
  'web',
  {
    currencies: { type: 'string', default: '25' },
    days: { type: 'string', default: '365' },
    requests: { type: 'string', default: '300' },
    connections: { type: 'string', default: '1' },
    fresh: { type: 'boolean', default: false },
  },
  { currencies: 1, days: 1, requests: 1, connections: 1 },
);
const CURRENCIES = Array.from({ length: counts.currencies }, (_, i) => `C${String(i).padStart(2, '0')}`);
const DAYS = counts.days;
// A fixed end, so the kept data stays valid: the dashboard's clock is set to it.
const END = Date.UTC(2026, 0, 1);
const START = END - DAYS * DAY;
const EXPECTED_ROWS = CURRENCIES.length * DAYS * 1440;

const offset = Number(process.env.BENCH_PORT_OFFSET ?? 0) + 500;
const WEB_PORT = 28080 + offset;
const env = {
  LOG_LEVEL: 'warn',
  QUESTDB_HTTP_PORT: String(29000 + offset),
  QUESTDB_PG_PORT: String(28812 + offset),
  QUESTDB_ILP_TCP_PORT: String(29009 + offset),
  QUESTDB_HEALTH_PORT: String(29003 + offset),
  // No emulator: a closed loopback port answers the health page's S3/Firehose checks at once (as unreachable).
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  WEB_HOST: '127.0.0.1',
  WEB_PORT: String(WEB_PORT),
};
const config = parseConfig(env);

/** Write the year of data, then the rows the forecast and health pages read. */
async function generate(): Promise<void> {
  const ilp = await makeIlp(config, { requestTimeoutMs: 120_000, retryTimeoutMs: 60_000 });
  try {
    await writeRandomWalk(ilp, { source: SOURCE, currencies: CURRENCIES, start: START, end: END, say });
    // The forecast and health pages' tables: forecasts, scores, polls, spool and a job run at the end.
    await writeSeed(ilp, { source: SOURCE, currencies: CURRENCIES, from: END, to: END + MIN });
  } finally {
    await ilp.close();
  }
}

/** Nearest-rank percentile of sorted samples. */
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

type Route = { name: string; kind: 'page' | 'fragment' | 'api'; path: (currency: string) => string };

const s = `source=${SOURCE}`;
const ROUTES: Route[] = [
  { name: 'forecast', kind: 'page', path: (c) => `/forecast?${s}&currency=${c}` },
  { name: 'forecast live', kind: 'fragment', path: (c) => `/forecast/live?${s}&currency=${c}` },
  { name: 'history 1 day', kind: 'page', path: (c) => `/history?${s}&currency=${c}&range=1d` },
  { name: 'history 1 day', kind: 'fragment', path: (c) => `/history/panel?${s}&currency=${c}&range=1d` },
  {
    name: 'history 1 day, 1-day window',
    kind: 'fragment',
    path: (c) => `/history/panel?${s}&currency=${c}&range=1d&window=1d`,
  },
  { name: 'history 1 week', kind: 'fragment', path: (c) => `/history/panel?${s}&currency=${c}&range=7d` },
  { name: 'history 30 days', kind: 'fragment', path: (c) => `/history/panel?${s}&currency=${c}&range=30d` },
  { name: 'history 1 year', kind: 'page', path: (c) => `/history?${s}&currency=${c}&range=1y&window=1d` },
  {
    name: 'history 1 year',
    kind: 'fragment',
    path: (c) => `/history/panel?${s}&currency=${c}&range=1y&window=1d`,
  },
  { name: 'aggregates hourly 7 days', kind: 'page', path: (c) => `/aggregates?${s}&currency=${c}` },
  {
    name: 'aggregates hourly 90 days',
    kind: 'fragment',
    path: (c) => `/aggregates/panel?${s}&currency=${c}&range=90d`,
  },
  {
    name: 'aggregates daily 1 year',
    kind: 'fragment',
    path: (c) => `/aggregates/panel?${s}&currency=${c}&grain=day&range=1y`,
  },
  { name: 'health', kind: 'page', path: () => '/health' },
  { name: 'health', kind: 'fragment', path: () => '/health/panel' },
  {
    name: 'api history 1 year',
    kind: 'api',
    path: (c) => `/api/history?${s}&currency=${c}&range=1y&window=1d`,
  },
  {
    name: 'api aggregates daily csv',
    kind: 'api',
    path: (c) => `/api/aggregates?${s}&currency=${c}&grain=day&range=1y&format=csv`,
  },
];

type Result = {
  route: string;
  kind: string;
  example: string;
  requests: number;
  non2xx: number;
  serverP50: number;
  serverP95: number;
  clientP50: number;
  clientP97_5: number;
  ok: boolean;
};

async function drive(route: Route, amount: number, connections: number): Promise<Result> {
  const r = mulberry32(7);
  const pickPath = () => route.path(CURRENCIES[Math.floor(r() * CURRENCIES.length)]!);
  const serverMs: number[] = [];
  const headers = route.kind === 'fragment' ? { 'HX-Request': 'true' } : {};
  const run = (n: number, record: boolean) =>
    autocannon({
      url: `http://127.0.0.1:${WEB_PORT}`,
      connections,
      amount: n,
      headers,
      requests: [
        {
          setupRequest: (req) => ({ ...req, path: pickPath() }),
          onResponse: (_status, _body, _ctx, h) => {
            const timing = /dur=([\d.]+)/.exec(String((h as Record<string, string>)['server-timing'] ?? ''));
            if (record && timing) serverMs.push(Number(timing[1]));
          },
        },
      ],
    });
  await run(20, false);
  const res = await run(amount, true);
  serverMs.sort((a, b) => a - b);
  const p95 = percentile(serverMs, 95);
  return {
    route: route.name,
    kind: route.kind,
    example: route.path(CURRENCIES[0]!),
    requests: res.requests.total,
    non2xx: res.non2xx,
    serverP50: percentile(serverMs, 50),
    serverP95: p95,
    clientP50: res.latency.p50,
    clientP97_5: res.latency.p97_5,
    ok: p95 < TARGET_P95_MS && res.non2xx === 0,
  };
}

async function main(): Promise<void> {
  const stackDir = resolve(ROOT, '.stack');
  const root = resolve(stackDir, 'bench', `web-questdb-${offset}`);
  let questdb: Managed | null = null;
  if (await isUp(`http://127.0.0.1:${config.QUESTDB_HEALTH_PORT}/`)) {
    if (opts.fresh) throw new Error('--fresh needs the bench QuestDB stopped first');
    say(`reusing the QuestDB already answering on ${config.QUESTDB_HTTP_PORT}`);
  } else {
    if (opts.fresh) rmSync(root, { recursive: true, force: true });
    const jar = await installQuestdb(stackDir, say);
    say(`starting a QuestDB of its own on 127.0.0.1:${config.QUESTDB_HTTP_PORT} (data in ${root}) ...`);
    questdb = await startQuestdb({
      jar,
      root,
      host: '127.0.0.1',
      name: 'questdb-bench-web',
      ports: {
        http: config.QUESTDB_HTTP_PORT,
        pg: config.QUESTDB_PG_PORT,
        ilpTcp: config.QUESTDB_ILP_TCP_PORT,
        health: config.QUESTDB_HEALTH_PORT,
      },
    });
  }
  const db = makeDb(config, 2);
  let web: ReturnType<typeof spawn> | null = null;
  try {
    await runMigrations(db, makeLogger('migrate', 'warn'));
    const have = Number((await db.query<{ n: string }>(pick(Q, 'countRows'), [SOURCE]))[0]?.n ?? 0);
    if (have >= EXPECTED_ROWS) say(`data already there: ${have.toLocaleString('en-US')} rows`);
    else {
      say(
        `generating ${EXPECTED_ROWS.toLocaleString('en-US')} rows through ILP (have ${have.toLocaleString('en-US')}) ...`,
      );
      await generate();
    }
    say('waiting for WAL apply and the views ...');
    await waitSettled(db, { timeoutMs: 30 * 60_000, pollMs: 1_000 });
    const build = (await db.query<{ build: string }>(pick(Q, 'build')))[0]?.build ?? '?';

    say(
      `starting the dashboard (web/main.ts) on 127.0.0.1:${WEB_PORT}, its clock at ${new Date(END).toISOString()} ...`,
    );
    web = spawn(process.execPath, ['--import', 'tsx', 'web/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env,
        CLOCK_SIM_START: new Date(END).toISOString(),
        CLOCK_REAL_START: String(Date.now()),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await waitForHttp(`http://127.0.0.1:${WEB_PORT}/health`, 60_000);

    const amount = counts.requests;
    const connections = counts.connections;
    const cpu = cpus();
    const machine = {
      cpu: `${cpu[0]?.model ?? '?'} x ${cpu.length} cores`,
      memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}`,
      node: process.version,
      questdb: build.replace('Build Information: ', ''),
      // The machine is shared: the load when the measurement starts says how much the figures can be trusted.
      loadAverage: loadavg()
        .map((x) => x.toFixed(1))
        .join(' '),
    };
    const inputs = {
      rows: EXPECTED_ROWS,
      currencies: CURRENCIES.length,
      days: DAYS,
      period: `${new Date(START).toISOString().slice(0, 10)} .. ${new Date(END).toISOString().slice(0, 10)}`,
      requestsPerRoute: amount,
      connections,
      load: 'autocannon on loopback, a random currency per request, 20 warm-up requests per route',
    };
    say('');
    say('machine');
    for (const [k, v] of Object.entries(machine)) say(`  ${k.padEnd(9)}${v}`);
    say('inputs');
    for (const [k, v] of Object.entries(inputs))
      say(`  ${k.padEnd(17)}${typeof v === 'number' ? v.toLocaleString('en-US') : v}`);
    say('');

    const results: Result[] = [];
    for (const route of ROUTES) results.push(await drive(route, amount, connections));
    const loadAfter = loadavg()
      .map((x) => x.toFixed(1))
      .join(' ');

    const rows = [
      [
        'route',
        'kind',
        'server p50 ms',
        'server p95 ms',
        'client p50',
        'client p97.5',
        `p95 < ${TARGET_P95_MS} ms`,
      ],
    ];
    for (const x of results)
      rows.push([
        x.route,
        x.kind,
        x.serverP50.toFixed(1),
        x.serverP95.toFixed(1),
        String(x.clientP50),
        String(x.clientP97_5),
        x.ok ? 'yes' : x.non2xx > 0 ? `NO (${x.non2xx} errors)` : 'NO',
      ]);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows)
      say(row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  '));

    mkdirSync(resolve(ROOT, 'bench', 'results'), { recursive: true });
    const out = resolve(ROOT, 'bench', 'results', 'web.json');
    writeFileSync(
      out,
      JSON.stringify(
        { at: new Date().toISOString(), machine, inputs, loadAfter, targetP95Ms: TARGET_P95_MS, results },
        null,
        2,
      ) + '\n',
    );
    say('');
    say(`load average after the run: ${loadAfter}`);
    say(`written ${out}`);
    if (results.some((x) => !x.ok)) process.exitCode = 1;
  } finally {
    if (web) {
      web.kill('SIGTERM');
      await new Promise((r) => web!.once('exit', r));
    }
    await db.end();
    if (questdb) await stopManaged(questdb, 30_000);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
