/** `npm run backfill -- import-csv`: one-minute candles from a CSV file into `rates`, bad lines counted. */
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { parseFlags, unreadable, usageExit, wholeNumber } from '../../common/cli.ts';
import { systemClock } from '../../common/clock.ts';
import { SOURCE_NAMES, type Clock } from '../../common/types.ts';
import { checkDb, makeDb } from '../../sql/db.ts';
import { makeIlp, type Ilp } from '../../sql/ilp.ts';
import { writeBatch } from '../../sql/tables.ts';
import { CSV_FORMATS, describeLayout, makeCandleReader, parseFormat } from './candle-csv.ts';
import type { BadField, Candle, CsvFormat } from './candle-csv.ts';
import { formatDuration, makeProgress, type ProgressOut, type ProgressState } from './progress.ts';
import type { Backfill } from './registry.ts';

export type ImportOptions = {
  file: string;
  source: string;
  currency: string;
  allowSkips: boolean;
  batchSize: number;
  /** Forced format; detected from the first line when absent. */
  format?: CsvFormat;
};

const USAGE = `usage: npm run backfill -- import-csv --file <path> --source <name> --currency <code> [--format F] [--allow-skips] [--batch-size N]

  --file         CSV of one-minute candles, format detected from its first line:
                   kraken   Kraken OHLCVT export: time,open,high,low,close,volume,trades (no header)
                   binance  Binance kline file: 12 columns, open time first (no header)
                   ohlcv    time,open,high,low,close[,volume] or time,close (a header line is skipped)
                   header   a header naming a time column (open_time, timestamp, time, ts, date, datetime)
                            and close, optionally open, high, low, volume, in any order
                 Timestamps: ISO 8601 (no zone means UTC) or Unix seconds, milliseconds or microseconds.
  --format       force one of ${CSV_FORMATS.join(', ')} instead of detecting.
  --source       the name to file the rows under, e.g. binance-candles (not one of the polled sources:
                 ${SOURCE_NAMES.join(', ')}); a row of kind csv is upserted into sources.
  --currency     the quote currency code, e.g. USD.
  --allow-skips  exit 0 even when bad lines were skipped (they are still reported).
  --batch-size   rows per ILP request (default 10000).

The close becomes the rate; timestamps are floored to the minute, and minutes already stored (or repeated in
the file) are replaced, not doubled. Missing minutes stay missing (nothing is filled). The detected format is
printed first. A file with no usable row is an error and writes and registers nothing.
Exit status: 0 ok; 1 failed, no usable row, or lines skipped (without --allow-skips); 2 bad usage.`;

const CLI = { name: 'import-csv', help: 'npm run backfill -- import-csv --help', usage: USAGE };

/** Parse and check the command line; every problem is reported at once. Pure. */
export function parseImportArgs(args: string[]): ImportOptions | { errors: string[] } {
  const values = parseFlags(args, {
    file: { type: 'string' },
    source: { type: 'string' },
    currency: { type: 'string' },
    'allow-skips': { type: 'boolean', default: false },
    'batch-size': { type: 'string', default: '10000' },
    format: { type: 'string' },
  });
  if ('errors' in values) return values;
  const errors: string[] = [];
  if (!values.file) errors.push('--file is required');
  const source = values.source ?? '';
  if (!source) errors.push('--source is required');
  else if (!/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(source))
    errors.push(`--source "${source}": use lower-case letters, digits, _ . - (at most 64)`);
  else if ((SOURCE_NAMES as readonly string[]).includes(source))
    errors.push(`--source "${source}" is a polled source; file imports under a name of their own`);
  const currency = (values.currency ?? '').toUpperCase();
  if (!currency) errors.push('--currency is required');
  else if (!/^[A-Z0-9]{2,12}$/.test(currency))
    errors.push(`--currency "${values.currency}" is not a currency code`);
  const batchSize = wholeNumber(errors, 'batch-size', values['batch-size'], 1, 1_000_000);
  const format = values.format === undefined ? undefined : parseFormat(values.format);
  if (typeof format === 'object') errors.push(format.error);
  if (errors.length) return { errors };
  return {
    file: values.file as string,
    source,
    currency,
    allowSkips: values['allow-skips'],
    batchSize,
    ...(format ? { format: format as CsvFormat } : {}),
  };
}

export type ImportSummary = {
  /** The format line (describeLayout); null when no line was understood. */
  format: string | null;
  lines: number;
  header: boolean;
  imported: number;
  skipped: number;
  skippedBy: Partial<Record<BadField, number>>;
  /** The first rejected line and why, for the error when nothing was usable. */
  firstBad: string | null;
  firstTs: number | null;
  lastTs: number | null;
  elapsedMs: number;
};

/** The process exit status for a finished import: a file with no usable row is a failure whatever the flags. Pure. */
export function importExitStatus(s: ImportSummary, allowSkips: boolean): number {
  return s.imported === 0 || (s.skipped > 0 && !allowSkips) ? 1 : 0;
}

/** The closing report, plain text. Pure. */
export function formatSummary(opts: ImportOptions, s: ImportSummary): string {
  const range =
    s.firstTs === null || s.lastTs === null
      ? 'no rows'
      : `${new Date(s.firstTs).toISOString()} .. ${new Date(s.lastTs).toISOString()}`;
  const why = Object.entries(s.skippedBy)
    .map(([field, n]) => `${n} ${field}`)
    .join(', ');
  return [
    `import-csv ${opts.file} -> rates (source ${opts.source}, currency ${opts.currency})`,
    `  read as      ${s.format ?? 'no format recognized'}`,
    `  lines read   ${s.lines}${s.header ? ' (first is a header)' : ''}`,
    `  imported     ${s.imported}`,
    `  skipped      ${s.skipped}${why ? ` (${why})` : ''}`,
    `  time range   ${range}`,
    `  elapsed      ${formatDuration(s.elapsedMs)} (${Math.round((s.imported * 1000) / Math.max(1, s.elapsedMs))} rows/s)`,
  ].join('\n');
}

/** Bad lines printed one by one before the rest are only counted. */
const REPORT_LIMIT = 1000;

/** Stream the file into QuestDB. I/O is injected: the ILP writer, the clock and the display. */
export async function runImportCsv(
  opts: ImportOptions,
  { ilp, clock, out }: { ilp: Ilp; clock: Clock; out: ProgressOut },
): Promise<ImportSummary> {
  const totalBytes = statSync(opts.file).size;
  // The source is registered in the same request as the first rows, so a file with none leaves no trace.
  const source = {
    id: opts.source,
    kind: 'csv',
    urlTemplate: `file:${basename(opts.file)}`,
    description: `CSV import of ${basename(opts.file)}`,
  };
  let registered = false;

  const started = clock.now();
  const progress = makeProgress(out, clock);
  const s: ImportSummary = {
    format: null,
    lines: 0,
    header: false,
    imported: 0,
    skipped: 0,
    skippedBy: {},
    firstBad: null,
    firstTs: null,
    lastTs: null,
    elapsedMs: 0,
  };
  const input = createReadStream(opts.file, { highWaterMark: 1 << 20 });
  const state = (): ProgressState => ({
    done: input.bytesRead,
    total: totalBytes,
    rows: s.imported,
    skipped: s.skipped,
    elapsedMs: clock.now() - started,
  });

  let batch: Candle[] = [];
  const series = { source: opts.source, currency: opts.currency };
  const flush = async () => {
    if (batch.length === 0) return;
    const rates = batch.map((c) => ({ ...series, ts: c.ts, rate: c.close, quoteTs: null }));
    batch = [];
    await ilp.write((sender) => writeBatch(sender, { rates, sources: registered ? [] : [source] }));
    registered = true;
    s.imported += rates.length;
  };

  const reader = makeCandleReader({ format: opts.format, now: clock.now() });
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    s.lines++;
    const r = reader.line(line);
    if (r.kind === 'blank') continue;
    if (s.format === null && reader.layout) {
      s.format = describeLayout(reader.layout);
      progress.note(s.format);
    }
    if (r.kind === 'header') s.header = true;
    else if (r.kind === 'bad') {
      s.skipped++;
      s.skippedBy[r.field] = (s.skippedBy[r.field] ?? 0) + 1;
      s.firstBad ??= `line ${s.lines}: ${r.reason}`;
      if (s.skipped <= REPORT_LIMIT) progress.note(`line ${s.lines}: ${r.reason}`);
      else if (s.skipped === REPORT_LIMIT + 1)
        progress.note(`(more bad lines follow; only counted from here on)`);
    } else {
      const ts = r.candle.ts;
      if (s.firstTs === null || ts < s.firstTs) s.firstTs = ts;
      if (s.lastTs === null || ts > s.lastTs) s.lastTs = ts;
      batch.push(r.candle);
      if (batch.length >= opts.batchSize) await flush();
    }
    progress.update(state());
  }
  await flush();
  s.elapsedMs = clock.now() - started;
  progress.done(state());
  return s;
}

export const importCsv: Backfill = {
  name: 'import-csv',
  summary: 'import one-minute candles from a CSV file (Kraken, Binance, OHLCV or named columns) into rates',
  usage: USAGE,
  async run(args, { config, log }) {
    const opts = parseImportArgs(args);
    if ('errors' in opts) return usageExit(CLI, opts);
    const missing = unreadable('file', opts.file);
    if (missing) return usageExit(CLI, { errors: [missing] });
    const db = makeDb(config, 1);
    const ilp = await makeIlp(config);
    try {
      await checkDb(db);
      const summary = await runImportCsv(opts, { ilp, clock: systemClock, out: process.stderr });
      process.stdout.write(`${formatSummary(opts, summary)}\n`);
      const status = importExitStatus(summary, opts.allowSkips);
      if (summary.imported === 0) {
        const why = Object.entries(summary.skippedBy).map(([field, n]) => `${n} bad ${field}`);
        const reason =
          summary.skipped > 0
            ? `every data line was refused (${why.join(', ')}; first, ${summary.firstBad})`
            : 'it holds no data line';
        process.stderr.write(`import-csv: ${opts.file}: no usable row: ${reason}; nothing written\n`);
      } else if (status !== 0)
        process.stderr.write(`import-csv: ${summary.skipped} line(s) skipped; --allow-skips accepts that\n`);
      return status;
    } catch (err) {
      log.debug({ err }, 'import failed');
      throw err;
    } finally {
      await ilp.close().catch(() => {});
      await db.end();
    }
  },
};
