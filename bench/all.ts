/**
 * `npm run bench`: every benchmark of the project, one after the other, then one report (markdown and JSON)
 * under bench/results/: the machine and versions, each benchmark's own output (its inputs, figures, same-run
 * baselines and targets), and a summary table of the figures that have targets.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { QUESTDB_VERSION, MOTO_VERSION } from '../stack/versions.ts';
import { BENCHES, summarize, type Bench, type Row } from './summary.ts';

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

const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const only = args as Bench[];
  if (args.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(
      `usage: npm run bench [-- name ...]: every benchmark, or those named (${BENCHES.join(', ')})\n`,
    );
    return 0;
  }
  const unknown = only.filter((a) => !BENCHES.includes(a));
  if (unknown.length) {
    process.stderr.write(`bench: unknown ${unknown.join(', ')}; known: ${BENCHES.join(', ')}\n`);
    return 2;
  }
  const chosen = only.length ? only : [...BENCHES];
  mkdirSync('bench/results', { recursive: true });
  const started = new Date().toISOString();
  const loadAtStart = loadavg();
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
    `Run ${started} with \`npm run bench\`. Machine: ${machine}; Node ${process.version}; QuestDB ${QUESTDB_VERSION}; moto ${MOTO_VERSION}; load average at the start ${fmtLoad(loadAtStart)}, at the end ${fmtLoad(loadavg())}.`,
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
  // A full run is the report of record; a run of some benches only writes its own report beside the results.
  const reportPath = only.length ? 'bench/results/report.md' : 'bench/REPORT.md';
  writeFileSync(reportPath, md + '\n');
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
  process.stdout.write(`\nreport: ${reportPath} and bench/results/report.json\n`);
  return runs.every((r) => r.code === 0) ? 0 : 1;
}

main().then((c) => process.exit(c));
