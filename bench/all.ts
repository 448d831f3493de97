/**
 * `npm run bench`: every benchmark of the project, one after the other, then one report (markdown and JSON)
 * under bench/results/: the machine and versions, each benchmark's own output (its inputs, figures, same-run
 * baselines and targets), and a summary table of the figures that have targets.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { QUESTDB_VERSION, MOTO_VERSION } from '../stack/versions.ts';

const BENCHES = ['ingest', 'backfill', 'queries', 'forecast', 'web'] as const;
type Bench = (typeof BENCHES)[number];

function run(name: Bench): Promise<{ code: number | null; out: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const take = (d: Buffer) => {
      process.stdout.write(d);
      out += d.toString();
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('exit', (code) => resolve({ code, out, seconds: (performance.now() - t0) / 1000 }));
  });
}

type Row = {
  bench: Bench;
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  met: string;
};

/** The figures with a target or a baseline, from each benchmark's JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each benchmark's own JSON shape, read defensively
function summarize(name: Bench, j: Record<string, any>): Row[] {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const rows: Row[] = [];
  const row = (r: Omit<Row, 'bench'>) => rows.push({ bench: name, ...r });
  if (name === 'ingest') {
    const l = j.latencyMs;
    row({
      figure: 'response → queryable p50 (ms)',
      value: f(l.pipeline.p50),
      baseline: `bare ILP row ${f(l.baseline.p50)}`,
      ratio: f(l.ratio.p50, 2),
      target: '—',
      met: '—',
    });
    row({
      figure: 'response → queryable p95 (ms)',
      value: f(l.pipeline.p95),
      baseline: `bare ILP row ${f(l.baseline.p95)}`,
      ratio: f(l.ratio.p95, 2),
      target: '—',
      met: '—',
    });
    for (const n of j.normalizer ?? [])
      row({
        figure: `normalizer ${n.source} (rows/s)`,
        value: f(n.normalizeRowsPerS, 0),
        baseline: `JSON.parse ${f(n.jsonParseRowsPerSec ?? n.baselineRowsPerSec ?? NaN, 0)}`,
        ratio: '',
        target: '—',
        met: '—',
      });
  } else if (name === 'backfill') {
    const b = j.best;
    row({
      figure: 'replay-s3 (rows/s)',
      value: f(b.replayRowsPerSec, 0),
      baseline: `raw ILP ceiling ${f(b.ceilingRowsPerSec, 0)}`,
      ratio: f(b.ratio, 2),
      target: `≥ ${b.target}`,
      met: b.met ? 'yes' : 'NO',
    });
  } else if (name === 'queries') {
    const t: string[][] = j.table ?? [];
    let current = '';
    for (const r of t.slice(1)) {
      if (r[0]) current = r[0];
      if (r[1] === 'view') {
        const base = t[t.indexOf(r) + 1];
        row({
          figure: `${current} p95 (ms)`,
          value: r[3] ?? '',
          baseline: `raw SAMPLE BY ${base?.[3] ?? '?'}`,
          ratio: base ? f(Number(r[3]) / Number(base[3]), 2) : '',
          target: `< ${j.targetP95Ms}`,
          met: r[4] === 'yes' ? 'yes' : 'NO',
        });
      }
    }
  } else if (name === 'forecast') {
    for (const h of j.horizons ?? [])
      row({
        figure: `GP RMSE ÷ persistence +${h.horizon} min (DM ${f(h.dm, 2)}, p ${f(h.dmP, 2)}); 90% coverage ${f(h.coverage90, 3)}`,
        value: f(h.ratio, 4),
        baseline: 'persistence 1.0000',
        ratio: f(h.ratio, 4),
        target: '≤ 1.000, coverage 0.88–0.92',
        met: h.ratioMet && h.coverageMet ? 'yes' : 'NO',
      });
    row({
      figure: 'fit + search per 60-point window, CPU p50 (ms)',
      value: f(j.fitMs.cpuP50, 2),
      baseline: `scikit-learn ~${j.targets.sklearnMsPerWindow} (external)`,
      ratio: '',
      target: `≤ ${j.targets.fitMs}`,
      met: j.fitMs.cpuP50 <= j.targets.fitMs ? 'yes' : 'NO',
    });
    row({
      figure: '25-currency cycle, wall p50 (ms)',
      value: f(j.cycleMs.wallP50),
      baseline: '',
      ratio: '',
      target: `< ${j.targets.cycleMs}`,
      met: j.cycleMs.wallP50 < j.targets.cycleMs ? 'yes' : 'NO',
    });
  } else if (name === 'web') {
    for (const r of j.results ?? [])
      row({
        figure: `${r.route} (${r.kind}) server p95 (ms)`,
        value: f(r.serverP95),
        baseline: `p50 ${f(r.serverP50)}`,
        ratio: '',
        target: `< ${j.targetP95Ms}`,
        met: r.ok ? 'yes' : 'NO',
      });
  }
  return rows;
}

async function main(): Promise<number> {
  const only = process.argv.slice(2).filter((a) => (BENCHES as readonly string[]).includes(a)) as Bench[];
  const chosen = only.length ? only : [...BENCHES];
  mkdirSync('bench/results', { recursive: true });
  const started = new Date().toISOString();
  const runs: { name: Bench; code: number | null; seconds: number; out: string }[] = [];
  for (const name of chosen) {
    process.stdout.write(`\n=== bench:${name} ===\n`);
    if (!existsSync(`bench/${name}.ts`))
      runs.push({ name, code: null, seconds: 0, out: 'not in this checkout' });
    else runs.push({ name, ...(await run(name)) });
  }
  const rows: Row[] = [];
  for (const r of runs) {
    const file = `bench/results/${r.name}.json`;
    if (r.code === 0 && existsSync(file)) {
      try {
        rows.push(
          ...summarize(r.name, JSON.parse(readFileSync(file, 'utf8')) as Parameters<typeof summarize>[1]),
        );
      } catch (err) {
        rows.push({
          bench: r.name,
          figure: `(could not read ${file}: ${(err as Error).message})`,
          value: '',
          baseline: '',
          ratio: '',
          target: '',
          met: '',
        });
      }
    }
  }
  const machine = `${cpus()[0]?.model ?? '?'} × ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}`;
  const md = [
    '# Benchmark report',
    '',
    `Run ${started} with \`npm run bench\`. Machine: ${machine}; Node ${process.version}; QuestDB ${QUESTDB_VERSION}; moto ${MOTO_VERSION}; load average at the end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}.`,
    '',
    '| bench | figure | value | same-run baseline | ratio | target | met |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.bench} | ${r.figure} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.met} |`,
    ),
    '',
    '| bench | exit | seconds |',
    '|---|---|---|',
    ...runs.map((r) => `| ${r.name} | ${r.code} | ${r.seconds.toFixed(0)} |`),
    '',
    ...runs.flatMap((r) => [`## bench:${r.name}`, '', '```', r.out.trim(), '```', '']),
  ].join('\n');
  writeFileSync('bench/results/report.md', md + '\n');
  writeFileSync(
    'bench/results/report.json',
    JSON.stringify(
      {
        started,
        machine,
        node: process.version,
        questdb: QUESTDB_VERSION,
        rows,
        runs: runs.map(({ out: _out, ...r }) => r),
      },
      null,
      2,
    ),
  );
  process.stdout.write(`\nreport: bench/results/report.md and report.json\n`);
  return runs.every((r) => r.code === 0) ? 0 : 1;
}

main().then((c) => process.exit(c));
