/**
 * `npm run bench:forecast`: the production forecaster on a file of one-minute closes — per horizon the RMSE ratio
 * of the Wiener GP to persistence with its Diebold–Mariano statistic and coverage (every rolling 60-minute
 * window), the time of one fit with its hyperparameter search (wall and CPU, one core: Node runs it on one
 * thread), a full forecasting cycle over 25 currencies, and a production-sized round (every series the fakes'
 * answers give, aggregators alone and with every venue) — each beside its target. Writes
 * bench/results/forecast.json.
 *
 * Options: --csv FILE (default: the shared Binance.US BTC-USDT file in ../shared/data/, generated data when that
 * one is absent; a file named here must exist), --stride N (1), --cycles N (30).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unreadable, usageLine } from '../common/cli.ts';
import { benchFlags } from './flags.ts';
import { runBacktest, type TimeSeries } from '../forecast/backtest.ts';
import { parseCloses } from '../forecast/closes.ts';
import { forecastAll } from '../forecast/forecaster.ts';
import { mulberry32 } from '../forecast/gp/index.ts';
import { gpWiener, persistence } from '../forecast/models.ts';
import type { RateRow } from '../forecast/series.ts';
import { SOURCE_NAMES, type SourceName } from '../common/types.ts';
import { normalReply } from '../fakes/routes.ts';
import { ADAPTERS } from '../ingest/sources/index.ts';
import { fakeApiUrls } from '../stack/services.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHARED = resolve(ROOT, '../shared/data/binance-us_BTCUSDT_1m_2023-03-01_2023-03-10.csv');
const TARGETS = { ratioMax: 1, coverage90: [0.88, 0.92], fitMs: 5, cycleMs: 250, roundMs: 10_000 } as const;
const SKLEARN_MS = 47;
const say = (s: string) => process.stdout.write(`${s}\n`);

const { values: opts, counts } = benchFlags(
  'forecast',
  {
    csv: { type: 'string', default: SHARED },
    stride: { type: 'string', default: '1' },
    cycles: { type: 'string', default: '30' },
  },
  { stride: 1, cycles: 1 },
);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const cpuMs = (f: () => unknown) => {
  const c = process.cpuUsage();
  f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000;
};

/** A random walk like one-minute BTC (sd 0.06% per minute), for when the shared file is absent. */
function generated(minutes: number, seed: number, start = 23_000): TimeSeries {
  const r = mulberry32(seed);
  const t0 = Date.UTC(2023, 2, 1);
  let v = start;
  const y = Float64Array.from({ length: minutes }, () => {
    v *= 1 + 0.0006 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return v;
  });
  return { name: 'generated', t: Float64Array.from({ length: minutes }, (_, i) => t0 + i * 60_000), y };
}

const missing = opts.csv === SHARED ? null : unreadable('csv', opts.csv);
if (missing) {
  process.stderr.write(`${usageLine('bench:forecast', [missing], 'npm run bench:forecast -- --help')}\n`);
  process.exit(2);
}
const load0 = loadavg()[0]!;
say('# bench:forecast');
say(
  `machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`,
);
say(`node ${process.version}; one thread (one core); load average at start ${load0.toFixed(2)}`);

let series: TimeSeries;
let input: string;
if (existsSync(opts.csv)) {
  const parsed = parseCloses(readFileSync(opts.csv, 'utf8'), 'csv');
  series = parsed.series;
  input = `${opts.csv}: ${series.t.length} one-minute closes, ${parsed.bad.length} bad lines skipped`;
} else {
  series = generated(14_400, 42);
  input = `${opts.csv} is absent: a generated random walk of 14,400 minutes (seed 42) instead`;
}
const stride = counts.stride;
say(`input: ${input}; rolling 60-minute windows every ${stride} min; horizons 1, 5, 10 min`);

const t0 = performance.now();
const bt = runBacktest({ target: series }, { models: [persistence, gpWiener], stride });
const backtestS = (performance.now() - t0) / 1000;
say(`\n## gp-wiener against persistence (${bt.origins} origins, ${backtestS.toFixed(0)} s)`);
say('targets: ratio <= 1.000 within its noise (DM not significantly positive); 90% coverage 0.88-0.92');
say('h    ratio      DM       p   cov50  cov90  width90    ratio   coverage');
const horizons = bt.rows
  .filter((r) => r.model === 'gp-wiener')
  .map((r) => {
    const ratioMet = r.ratio <= TARGETS.ratioMax || !(r.dm.stat > 0 && r.dm.p < 0.05);
    const coverageMet = r.coverage90 >= TARGETS.coverage90[0] && r.coverage90 <= TARGETS.coverage90[1];
    say(
      [
        String(r.horizon).padEnd(4),
        r.ratio.toFixed(4),
        r.dm.stat.toFixed(2).padStart(6),
        r.dm.p.toFixed(3).padStart(6),
        r.coverage50.toFixed(3).padStart(6),
        r.coverage90.toFixed(3).padStart(6),
        r.width90.toFixed(1).padStart(8),
        (ratioMet ? 'met' : 'NOT MET').padStart(8),
        (coverageMet ? 'met' : 'NOT MET').padStart(10),
      ].join(' '),
    );
    return {
      horizon: r.horizon,
      origins: r.origins,
      ratio: r.ratio,
      dm: r.dm.stat,
      dmP: r.dm.p,
      coverage50: r.coverage50,
      coverage90: r.coverage90,
      width90: r.width90,
      ratioMet,
      coverageMet,
    };
  });

// CPU time per fit on a fixed sample of windows, after the backtest has warmed the JIT.
const wall = bt.fitTimes['gp-wiener']!;
const cpu: number[] = [];
const x = Float64Array.from({ length: 60 }, (_, i) => i + 1);
for (
  let o = 60;
  o <= series.y.length && cpu.length < 3000;
  o += Math.max(1, Math.floor(series.y.length / 3000))
)
  cpu.push(cpuMs(() => gpWiener.project({ x, y: series.y.slice(o - 60, o) }, 60, [1, 5, 10])));
const fit = {
  wallP50: quantile(wall, 0.5),
  wallP95: quantile(wall, 0.95),
  cpuP50: quantile(cpu, 0.5),
  cpuP95: quantile(cpu, 0.95),
  windows: { wall: wall.length, cpu: cpu.length },
};
say(
  `\n## one fit + hyperparameter search + projection, 60-point window (target <= ${TARGETS.fitMs} ms; scikit-learn's GaussianProcessRegressor ~${SKLEARN_MS} ms per window on the same data)`,
);
say(`wall ms p50 ${fit.wallP50.toFixed(2)}  p95 ${fit.wallP95.toFixed(2)}   (${wall.length} windows)`);
say(
  `cpu  ms p50 ${fit.cpuP50.toFixed(2)}  p95 ${fit.cpuP95.toFixed(2)}   (${cpu.length} windows)   ${fit.cpuP95 <= TARGETS.fitMs ? 'met' : 'NOT MET'} (CPU p95)`,
);

// A full cycle: 25 currencies × 60 minutes through forecastAll (persistence + gp-wiener, +1/+5/+10).
const origin = Date.UTC(2030, 0, 1, 12);

/** 60 minutes of random-walk rates ending at `origin` for each series, sorted by time as the query gives them. */
function roundRows(series: { source: string; currency: string }[], seed: number): RateRow[] {
  const r = mulberry32(seed);
  const rows: RateRow[] = [];
  series.forEach(({ source, currency }, c) => {
    let v = 20_000 * (1 + c * 0.37);
    for (let i = 59; i >= 0; i--) {
      v *= 1 + 0.0006 * (r() * 2 - 1) * Math.SQRT2;
      rows.push({ ts: new Date(origin - i * 60_000), source, currency, rate: v });
    }
  });
  return rows.sort((a, b) => a.ts.getTime() - b.ts.getTime());
}

/** Wall and CPU time of `cycles` forecasting rounds over `rows`. */
function timeRounds(rows: RateRow[]) {
  const wall: number[] = [];
  const cpu: number[] = [];
  let forecasts = 0;
  for (let i = 0; i < counts.cycles; i++) {
    const w0 = performance.now();
    cpu.push(cpuMs(() => (forecasts = forecastAll(rows, origin).forecasts.length)));
    wall.push(performance.now() - w0);
  }
  const series = new Set(rows.map((x) => `${x.source}/${x.currency}`)).size;
  const q = (xs: number[], p: number) => quantile(xs, p);
  return {
    series,
    forecasts,
    wallP50: q(wall, 0.5),
    wallP95: q(wall, 0.95),
    cpuP50: q(cpu, 0.5),
    cpuP95: q(cpu, 0.95),
  };
}

const synthetic = Array.from({ length: 25 }, (_, c) => ({ source: 'bench', currency: `C${c}` }));
const cycle = { currencies: 25, ...timeRounds(roundRows(synthetic, 3)) };
say(`\n## full cycle: 25 currencies x 60 minutes, forecastAll (target < ${TARGETS.cycleMs} ms)`);
say(
  `wall ms p50 ${cycle.wallP50.toFixed(1)}  p95 ${cycle.wallP95.toFixed(1)};  cpu ms p50 ${cycle.cpuP50.toFixed(1)}  p95 ${cycle.cpuP95.toFixed(1)}   ${cycle.wallP95 < TARGETS.cycleMs ? 'met' : 'NOT MET'} (${cycle.forecasts} forecasts per cycle)`,
);

// A production round at each scale: the series the fakes' answers give, aggregators only and with every venue.
const fakeSeries = (sources: readonly SourceName[]) =>
  sources.flatMap((source) => {
    const urls = fakeApiUrls('http://127.0.0.1:1');
    const reply = normalReply(source, new URL(urls[source]), origin, 1);
    const parsed = ADAPTERS[source].parse({ ...reply, url: urls[source] });
    return parsed.rates.map((x) => ({ source, currency: x.currency }));
  });
const AGGREGATORS: SourceName[] = ['blockchain', 'coinbase', 'coingecko', 'coindesk'];
const rounds = [
  { sources: 'aggregators', ...timeRounds(roundRows(fakeSeries(AGGREGATORS), 5)) },
  { sources: 'aggregators + venues', ...timeRounds(roundRows(fakeSeries(SOURCE_NAMES), 5)) },
];
say(
  `\n## a production round: every series of the fakes' answers x 60 minutes (target: well inside the minute, < ${TARGETS.roundMs} ms)`,
);
say('sources                 series  forecasts  wall p50  wall p95   cpu p95');
for (const r of rounds)
  say(
    `${r.sources.padEnd(22)} ${String(r.series).padStart(7)} ${String(r.forecasts).padStart(10)} ${r.wallP50.toFixed(0).padStart(9)} ${r.wallP95.toFixed(0).padStart(9)} ${r.cpuP95.toFixed(0).padStart(9)}   ${r.wallP95 < TARGETS.roundMs ? 'met' : 'NOT MET'}`,
  );
const load1 = loadavg()[0]!;
say(
  `\nload average at end ${load1.toFixed(2)} on ${cpus().length} cores: wall times include waiting for a core when it exceeds the core count`,
);

mkdirSync(resolve(ROOT, 'bench/results'), { recursive: true });
const file = resolve(ROOT, 'bench/results/forecast.json');
writeFileSync(
  file,
  JSON.stringify(
    {
      at: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model,
        cores: cpus().length,
        node: process.version,
        os: release(),
        loadavg: [load0, load1],
      },
      input: { description: input, stride, origins: bt.origins, backtestSeconds: backtestS },
      targets: { ...TARGETS, sklearnMsPerWindow: SKLEARN_MS },
      horizons,
      fitMs: fit,
      cycleMs: cycle,
      rounds,
    },
    null,
    2,
  ) + '\n',
);
say(`wrote ${file}`);
