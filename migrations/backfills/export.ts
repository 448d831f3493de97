/** `npm run backfill -- export`: (re-)export UTC days of `rates` and `polls` to the curated lake. */
import { checkBucket, makeS3 } from '../../common/aws.ts';
import { failureLine, parseFlags, usageExit, wholeNumber } from '../../common/cli.ts';
import { systemClock } from '../../common/clock.ts';
import { BEFORE_GENESIS, GENESIS_MS, parseIsoTime } from '../../common/time.ts';
import { waitForWal } from '../../sql/wal.ts';
import { makeExporter } from '../../lake/export.ts';
import { DAY_MS, LAKE_TABLES, type LakeTable } from '../../lake/layout.ts';
import { makeDb } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { formatDuration, makeProgress } from './progress.ts';
import type { Backfill } from './registry.ts';

const USAGE = `usage: npm run backfill -- export --from <date> --to <date> [options]

  --from, --to      the UTC days to export, both included: YYYY-MM-DD, today at the latest.
  --tables          comma-separated subset of ${LAKE_TABLES.join(', ')} (default: both).
  --progress-every  seconds between plain progress lines when not on a terminal (default 5).

Each day lands at curated/<table>/date=YYYY-MM-DD/part-0.parquet in RAW_BUCKET, replacing an earlier export;
a day without rows writes nothing. Exit status: 0 ok, 1 failed, 2 bad usage, 130 interrupted.`;

const CLI = { name: 'export', help: 'npm run backfill -- export --help', usage: USAGE };

export type ExportArgs = { from: number; to: number; tables: LakeTable[]; progressEveryMs: number };

/** Parse and check the command line against `now`; every problem is reported at once. Pure. */
export function parseExportArgs(args: string[], now: number): ExportArgs | { errors: string[] } {
  const values = parseFlags(args, {
    from: { type: 'string' },
    to: { type: 'string' },
    tables: { type: 'string', default: LAKE_TABLES.join(',') },
    'progress-every': { type: 'string', default: '5' },
  });
  if ('errors' in values) return values;
  const errors: string[] = [];
  const day = (name: 'from' | 'to'): number | null => {
    const v = values[name];
    if (v === undefined) return (errors.push(`--${name} is required`), null);
    const refuse = (why: string) => (errors.push(`--${name} "${v}": ${why}`), null);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return refuse('not a date YYYY-MM-DD');
    const p = parseIsoTime(v);
    if (!p.ok) return refuse(p.reason);
    if (p.ms < GENESIS_MS) return refuse(BEFORE_GENESIS);
    if (p.ms > now) return refuse('a day in the future');
    return p.ms;
  };
  const from = day('from');
  const to = day('to');
  if (from !== null && to !== null && from > to) errors.push('--from must not be after --to');
  const tables = [...new Set(values.tables.split(',').map((t) => t.trim()))];
  const unknown = tables.filter((t) => !(LAKE_TABLES as readonly string[]).includes(t));
  if (unknown.length || tables.length === 0)
    errors.push(
      `--tables: unknown ${unknown.join(', ') || '(none given)'}; allowed: ${LAKE_TABLES.join(', ')}`,
    );
  const every = wholeNumber(errors, 'progress-every', values['progress-every'], 0);
  if (errors.length || from === null || to === null) return { errors };
  return { from, to: to + DAY_MS, tables: tables as LakeTable[], progressEveryMs: every * 1000 };
}

export const exportLake: Backfill = {
  name: 'export',
  summary: 'export UTC days of rates and polls to the curated Parquet lake in S3 (curated/<table>/date=...)',
  usage: USAGE,
  async run(args, { config }) {
    const opts = parseExportArgs(args, systemClock.now());
    if ('errors' in opts) return usageExit(CLI, opts);
    const clock = systemClock;
    const db = makeDb(config, 2);
    const s3 = makeS3(config);
    const ilp = await makeIlp(config);
    const exporter = makeExporter({ db, ilp, s3, clock, config });
    const abort = new AbortController();
    const onSigint = () => {
      process.stderr.write('\nexport: stopping after the day under way\n');
      abort.abort();
    };
    process.once('SIGINT', onSigint);
    const progress = makeProgress(process.stderr, clock, { plainEveryMs: opts.progressEveryMs });
    const started = clock.now();
    const tally = { files: 0, empty: 0, rows: 0, bytes: 0 };
    let done = 0;
    const total = ((opts.to - opts.from) / DAY_MS) * opts.tables.length;
    const state = () => ({ done, total, rows: tally.rows, skipped: 0, elapsedMs: clock.now() - started });
    try {
      await Promise.all([waitForWal(db, ['rates', 'polls']), checkBucket(s3, config)]);
      for (let d = opts.from; d < opts.to && !abort.signal.aborted; d += DAY_MS)
        for (const table of opts.tables) {
          const e = await exporter.exportDay(table, d, abort.signal);
          if (e.key) tally.files++;
          else tally.empty++;
          tally.rows += e.rows;
          tally.bytes += e.bytes;
          done++;
          progress.update(state());
        }
      progress.done(state());
      const elapsed = clock.now() - started;
      process.stdout.write(
        [
          `export s3://${config.RAW_BUCKET}/curated/ days ${new Date(opts.from).toISOString().slice(0, 10)} .. ` +
            `${new Date(opts.to - DAY_MS).toISOString().slice(0, 10)}, ${opts.tables.join(', ')}`,
          `  files    ${tally.files} written (${(tally.bytes / 1e6).toFixed(1)} MB), ${tally.empty} days without rows (nothing written)`,
          `  rows     ${tally.rows.toLocaleString('en-US')}`,
          `  elapsed  ${formatDuration(elapsed)} (${Math.round((tally.rows * 1000) / Math.max(1, elapsed)).toLocaleString('en-US')} rows/s)`,
          ...(abort.signal.aborted
            ? ['  INTERRUPTED: run the same command again (days already written are whole)']
            : []),
        ].join('\n') + '\n',
      );
      return abort.signal.aborted ? 130 : 0;
    } catch (err) {
      process.stderr.write(`export: ${failureLine(err)}\n`);
      return 1;
    } finally {
      process.off('SIGINT', onSigint);
      s3.destroy();
      await ilp.close().catch(() => {});
      await db.end();
    }
  },
};
