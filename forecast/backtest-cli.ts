/**
 * `npm run backtest`: every candidate model against persistence on rolling windows of one series (or several,
 * for the multi-output model), printed as a table and stored in `backtests` under a run id.
 *
 *   npm run backtest -- --source blockchain --currency USD --from 2026-01-01 --to 2026-01-08 [--related auto]
 *   npm run backtest -- --csv closes.csv [--derive-sources]
 *   npm run backtest -- --synthetic lead-lag
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isMain, parseFlags, runCli, unreadable, usageExit, wholeNumber } from '../common/cli.ts';
import { loadEnv, parseConfig } from '../common/config.ts';
import { describeRefusal, parseTimestamp } from '../common/time.ts';
import { checkDb, makeDb, type Db } from '../sql/db.ts';
import { makeIlp, type Ilp } from '../sql/ilp.ts';
import { runBacktestYielding, type TimeSeries } from './backtest.ts';
import { formatResult, formatWins } from './backtest-report.ts';
import { listSeries, makeRunId, readSeries, trackingSeries, writeBacktest } from './backtest-store.ts';
import type { SeriesKey } from './backtest-store.ts';
import { CANDIDATES, pickModels } from './candidates.ts';
import { countByField, parseCloses } from './closes.ts';
import { CSV_FORMATS, describeLayout, parseFormat } from '../migrations/backfills/candle-csv.ts';
import type { CsvFormat } from '../migrations/backfills/candle-csv.ts';
import { recommendModel } from './selection.ts';
import { deriveSources, makeLeadLag } from './synthetic.ts';

const USAGE = `usage:
  npm run backtest -- --source S --currency C --from T --to T [--related auto|S/C,...] [options]
  npm run backtest -- --csv FILE [--related FILE,...] [--format F] [--derive-sources] [--source S] [--currency C] [options]
  npm run backtest -- --synthetic lead-lag [--minutes N, 120 to a year] [--seed N] [options]

  --source, --currency  the series in rates (QuestDB); with --csv, only the labels stored (default csv, USD)
  --from, --to          origins in [from, to), ISO 8601 (UTC unless a zone is given); optional with --csv
  --related             other series the multi-output model (gp-icm) may use: auto = every other series with
                        data whose quote tracks the target's (the same, or USD/USDC/USDT), or source/currency,...;
                        with --csv, other files of one-minute closes (format detected), named by file name
  --csv FILE            one-minute closes, read as import-csv reads them (format detected and printed): Kraken
                        OHLCVT, Binance klines, time,open,high,low,close[,volume], time,close, or named columns
  --format F            with --csv: force, for that file, one of ${CSV_FORMATS.join(', ')} instead of detecting
  --derive-sources      with --csv: also derive a 30-60 s cached copy and a 15-minute-delayed copy of the file
                        (labelled derived) and backtest each of the three with the other two as related series
  --synthetic lead-lag  generated leader, follower (1.5-minute lag + noise), leader in EUR, independent walk
  --models a,b          default: every candidate (${CANDIDATES.map((m) => m.name).join(', ')}); gp-icm only
                        when there are related series
  --stride N            minutes between origins, up to a week (default 5)
  --horizons 1,5,10     minutes ahead, each up to a day (default 1,5,10)
  --no-store            print only; otherwise rows go to the backtests table under a new run id
  --help                this text
Origins lie every --stride minutes on a grid fixed to the Unix epoch, the same for a file and for QuestDB.
Exit status: 0 ok; 1 failed (QuestDB unreachable, no data, a file with no usable row, no origin to score);
2 bad usage.`;

export type CliOptions = {
  mode: 'questdb' | 'csv' | 'synthetic';
  source: string;
  currency: string;
  from: number;
  to: number;
  related: 'auto' | SeriesKey[];
  csv: string;
  relatedCsv: string[];
  format?: CsvFormat;
  deriveSources: boolean;
  minutes: number;
  seed: number;
  models: string[] | null;
  stride: number;
  horizons: number[];
  store: boolean;
};

/** Parse and check the command line, reporting every problem at once. Pure. */
export function parseBacktestArgs(args: string[]): CliOptions | { errors: string[] } | { help: true } {
  const values = parseFlags(args, {
    source: { type: 'string' },
    currency: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    related: { type: 'string' },
    csv: { type: 'string' },
    format: { type: 'string' },
    'derive-sources': { type: 'boolean', default: false },
    synthetic: { type: 'string' },
    minutes: { type: 'string', default: '2880' },
    seed: { type: 'string', default: '7' },
    models: { type: 'string' },
    stride: { type: 'string', default: '5' },
    horizons: { type: 'string', default: '1,5,10' },
    'no-store': { type: 'boolean', default: false },
  });
  if ('errors' in values) return values;
  if (values.help) return { help: true };
  const errors: string[] = [];
  const mode = values.csv !== undefined ? 'csv' : values.synthetic !== undefined ? 'synthetic' : 'questdb';
  if (values.csv !== undefined && values.synthetic !== undefined)
    errors.push('give --csv or --synthetic, not both');
  if (values.synthetic !== undefined && values.synthetic !== 'lead-lag')
    errors.push(`--synthetic "${values.synthetic}": the only generator is lead-lag`);
  const time = (name: 'from' | 'to') => {
    const v = values[name];
    if (v === undefined) {
      if (mode === 'questdb') errors.push(`--${name} is required`);
      return NaN;
    }
    const t = parseTimestamp(v);
    if (t.ok) return t.ms;
    errors.push(describeRefusal(`--${name}`, v, t.reason));
    return NaN;
  };
  const from = time('from');
  const to = time('to');
  if (mode === 'questdb') {
    if (!values.source) errors.push('--source is required (or --csv FILE, or --synthetic lead-lag)');
    if (!values.currency) errors.push('--currency is required');
  }
  let related: CliOptions['related'] = [];
  const relatedCsv = mode === 'csv' && values.related ? values.related.split(',') : [];
  if (values.related === 'auto' && mode === 'questdb') related = 'auto';
  else if (values.related && mode === 'questdb') {
    related = values.related.split(',').map((s) => {
      const [source = '', currency = ''] = s.trim().split('/');
      if (!source || !currency) errors.push(`--related "${s}": use source/currency`);
      return { source, currency: currency.toUpperCase() };
    });
  }
  if (values.related && mode === 'synthetic') errors.push('--related is for QuestDB series or --csv files');
  if (values['derive-sources'] && mode !== 'csv') errors.push('--derive-sources needs --csv');
  if (values['derive-sources'] && relatedCsv.length)
    errors.push('give --derive-sources or --related, not both');
  const format = values.format === undefined ? undefined : parseFormat(values.format);
  if (typeof format === 'object') errors.push(format.error);
  else if (format && mode !== 'csv') errors.push('--format needs --csv');
  if (from >= to) errors.push('--from must be before --to');
  const horizons = values.horizons.split(',').map((h) => wholeNumber(errors, 'horizons', h, 1, 1_440));
  const models = values.models ? values.models.split(',').map((m) => m.trim()) : null;
  if (models) {
    try {
      pickModels(models);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  const opts: CliOptions = {
    mode,
    source: values.source ?? (mode === 'synthetic' ? 'synthetic' : 'csv'),
    currency: (values.currency ?? 'USD').toUpperCase(),
    from,
    to,
    related,
    csv: values.csv ?? '',
    relatedCsv,
    ...(typeof format === 'string' ? { format } : {}),
    deriveSources: values['derive-sources'],
    minutes: wholeNumber(errors, 'minutes', values.minutes, 120, 525_600),
    seed: wholeNumber(errors, 'seed', values.seed, 0),
    models,
    stride: wholeNumber(errors, 'stride', values.stride, 1, 10_080),
    horizons,
    store: !values['no-store'],
  };
  return errors.length ? { errors } : opts;
}

type Target = { key: SeriesKey; series: TimeSeries; related: TimeSeries[] };
type Out = { write(s: string): unknown; isTTY?: boolean };

/** Each series with every other one as related. */
const eachWithOthers = (all: { key: SeriesKey; series: TimeSeries }[]): Target[] =>
  all.map((a) => ({ ...a, related: all.filter((b) => b !== a).map((b) => b.series) }));

/** A file of closes as a series named by its file name, with what was read and skipped reported on `err`. */
function readCsv(file: string, format: CsvFormat | undefined, err: Out, now: number): TimeSeries {
  const parsed = parseCloses(readFileSync(file, 'utf8'), basename(file), { format, now });
  if (parsed.layout) err.write(`${file}: ${describeLayout(parsed.layout)}\n`);
  for (const b of parsed.bad.slice(0, 20)) err.write(`${file}:${b.line}: skipped: ${b.reason}\n`);
  if (parsed.bad.length > 20) err.write(`... and ${parsed.bad.length - 20} more bad lines\n`);
  const why = countByField(parsed.bad);
  err.write(
    `${file}: ${parsed.lines} lines${parsed.header ? ' (a header)' : ''}, ${parsed.series.t.length} closes, ${parsed.bad.length} skipped${why ? ` (${why})` : ''}\n`,
  );
  if (parsed.series.t.length === 0) {
    const first = parsed.bad[0];
    throw new Error(
      `${file}: no usable row: ${first ? `every data line was refused (${why}; first, line ${first.line}: ${first.reason})` : 'it holds no data line'}`,
    );
  }
  return parsed.series;
}

/** The series to backtest, from a file, a generator or QuestDB. */
async function loadTargets(o: CliOptions, db: Db | null, err: Out, now: number): Promise<Target[]> {
  if (o.mode === 'synthetic') {
    const all = makeLeadLag({ minutes: o.minutes, seed: o.seed });
    return eachWithOthers(
      all.map((series) => ({ key: { source: o.source, currency: series.name }, series })),
    );
  }
  if (o.mode === 'csv') {
    const series = readCsv(o.csv, o.format, err, now);
    const related = o.relatedCsv.map((f) => readCsv(f, undefined, err, now));
    const key = { source: o.source, currency: o.currency };
    if (!o.deriveSources) return [{ key, series, related }];
    const suffixes = ['', '+cache30-60s', '+delay15m'];
    return eachWithOthers(
      deriveSources(series).map((series, i) => ({
        key: { ...key, source: o.source + suffixes[i] },
        series,
      })),
    );
  }
  // The window before the first origin, and gp-icm's day of training before that.
  const pad = 25 * 60 * 60_000;
  const maxH = Math.max(...o.horizons) * 60_000;
  const key = { source: o.source, currency: o.currency };
  let relatedKeys = o.related === 'auto' ? [] : o.related;
  if (o.related === 'auto') relatedKeys = trackingSeries(await listSeries(db!, o.from, o.to, 60), key);
  const read = (k: SeriesKey) => readSeries(db!, k, o.from - pad, o.to + maxH);
  const series = await read(key);
  if (series.t.length === 0) throw new Error(`no rates for ${key.source}/${key.currency} in the range`);
  return [{ key, series, related: await Promise.all(relatedKeys.map(read)) }];
}

/** A progress line on stderr: redrawn on a terminal, every 10 s otherwise. */
function makeProgressLine(err: Out, label: string): (done: number, total: number) => void {
  const t0 = performance.now();
  let lastPlain = t0;
  return (done, total) => {
    const s = (performance.now() - t0) / 1000;
    const eta = done > 0 ? (s * (total - done)) / done : NaN;
    const text = `${label}: ${done}/${total} origins, ${(done / s).toFixed(0)}/s, ETA ${Number.isFinite(eta) ? Math.round(eta) : '?'} s`;
    if (err.isTTY) err.write(`\r${text}\x1b[K`);
    else if (performance.now() - lastPlain > 10_000) {
      lastPlain = performance.now();
      err.write(`${text}\n`);
    }
  };
}

/** The whole run; returns the exit status. */
export async function runBacktestCli(
  o: CliOptions,
  deps: { db: Db | null; ilp: Ilp | null; out: Out; err: Out; now: number },
): Promise<number> {
  const { out, err } = deps;
  const targets = await loadTargets(o, deps.db, err, deps.now);
  const run = { id: makeRunId(deps.now), ts: deps.now };
  const wins: string[] = [];
  let stored = 0;
  let status = 0;
  for (const t of targets) {
    const names =
      o.models ?? CANDIDATES.map((m) => m.name).filter((n) => n !== 'gp-icm' || t.related.length > 0);
    const label = `${t.key.source}/${t.key.currency}`;
    const range = {
      ...(Number.isFinite(o.from) ? { from: o.from } : {}),
      ...(Number.isFinite(o.to) ? { to: o.to } : {}),
    };
    const progress = makeProgressLine(err, label);
    const result = await runBacktestYielding(
      { target: t.series, related: t.related },
      { models: pickModels(names), stride: o.stride, horizons: o.horizons, ...range },
      { onProgress: progress, everyMs: 200 },
    );
    if (err.isTTY) err.write('\r\x1b[K');
    if (result.rows.every((r) => r.origins === 0)) {
      const skipped = Object.entries(result.skipped).map(([why, n]) => `${n} ${why}`);
      err.write(
        `backtest: ${label}: no origin could be scored (${t.series.t.length} closes read, ` +
          `horizons up to ${Math.max(...o.horizons)} min${skipped.length ? `; origins skipped: ${skipped.join(', ')}` : ''}); nothing stored\n`,
      );
      status = 1;
      continue;
    }
    const rec = recommendModel(result.rows, result.to - result.from);
    out.write(`${formatResult(label, result, rec)}\n\n`);
    wins.push(...formatWins(label, result));
    if (deps.ilp) stored += await writeBacktest(deps.ilp, run, t.key, result);
  }
  if (status !== 0 && stored === 0 && wins.length === 0) return status;
  out.write(wins.length ? `${wins.join('\n')}\n` : 'No model beats persistence significantly anywhere.\n');
  if (deps.ilp) out.write(`stored ${stored} rows in backtests, run_id = '${run.id}'\n`);
  return status;
}

/** The command: usage problems and failures are one line each, never a stack trace. */
async function main(args: string[]): Promise<number> {
  const parsed = parseBacktestArgs(args);
  const cli = { name: 'backtest', help: 'npm run backtest -- --help', usage: USAGE };
  if ('errors' in parsed || 'help' in parsed) return usageExit(cli, parsed);
  const files =
    parsed.mode === 'csv' ? [['csv', parsed.csv], ...parsed.relatedCsv.map((f) => ['related', f])] : [];
  const missing = files.flatMap(([flag, file]) => unreadable(flag!, file!) ?? []);
  if (missing.length) return usageExit(cli, { errors: missing });
  const needsDb = parsed.mode === 'questdb';
  const config = needsDb || parsed.store ? parseConfig(loadEnv()) : null;
  const db = config ? makeDb(config, 2) : null;
  let ilp: Ilp | null = null;
  try {
    // QuestDB is checked before any work, so that a stack not running is one line, not a failure at the end.
    if (db) await checkDb(db);
    ilp = config && parsed.store ? await makeIlp(config) : null;
    return await runBacktestCli(parsed, {
      db: needsDb ? db : null,
      ilp,
      out: process.stdout,
      err: process.stderr,
      now: Date.now(),
    });
  } finally {
    await ilp?.close().catch(() => {});
    await db?.end();
  }
}

if (isMain(import.meta.url)) runCli('backtest', () => main(process.argv.slice(2)));
