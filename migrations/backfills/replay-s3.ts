/** `npm run backfill -- replay-s3`: rebuild a range of minutes from the raw archive; resumable. */
import { checkBucket, makeS3 } from '../../common/aws.ts';
import { failureLine, minuteRange, parseFlags, usageExit, wholeNumber } from '../../common/cli.ts';
import { systemClock } from '../../common/clock.ts';
import { describeRefusal, parseDuration } from '../../common/time.ts';
import { SOURCE_NAMES, type SourceName } from '../../common/types.ts';
import { makeQuestdbStore } from '../../ingest/store.ts';
import { openS3Archive } from '../../ingest/archive/store.ts';
import { runReplay, type ReplayOptions, type ReplaySummary } from '../../ingest/replay/replay.ts';
import { markChanged } from '../../lake/export.ts';
import { daysIn } from '../../lake/layout.ts';
import { checkDb, makeDb } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { formatDuration, makeProgress } from './progress.ts';
import type { Backfill } from './registry.ts';

export type ReplayCliOptions = ReplayOptions & {
  allowSkips: boolean;
  allowEmpty: boolean;
  progressEveryMs: number;
};

const USAGE = `usage: npm run backfill -- replay-s3 --from <time> --to <time> [options]

  --from, --to      the minutes to rebuild, [from, to): ISO 8601 (UTC unless a zone is given) or a date.
  --sources         comma-separated sources to replay (default: all of ${SOURCE_NAMES.join(', ')}).
  --force           rewrite every row, replacing stored ones: after fixing a parser. Without it only rows
                    that are absent are written, and what is stored stays as it is.
  --slack           how long after its minute a response may have arrived in S3 and still count (default 24h;
                    spool re-sends after an outage arrive late). Objects are listed up to --to plus this.
  --allow-skips     exit 0 even when corrupt lines were skipped (they are still reported).
  --allow-empty     exit 0 even when the archive holds no envelope in the range.
  --fresh           ignore the saved progress of an interrupted run with the same options; start over.
  --batch-size      rates and polls rows per ILP request (default 20000).
  --concurrency     S3 objects fetched at once (default 16).
  --progress-every  seconds between plain progress lines when not on a terminal (default 5).

examples:
  npm run backfill -- replay-s3 --from 2031-01-05 --to 2031-01-06            # a lost day, after DROP PARTITION
  npm run backfill -- replay-s3 --from 2031-01-01 --to 2031-02-01 --sources coinbase --force   # a parser fix
  npm run backfill -- replay-s3 --from 2031-01-05T10:00Z --to 2031-01-05T11:00Z --slack 72h

Interrupted (Ctrl-C, a crash, a kill), the same command continues after the last batch it saved as done.
Exit status: 0 ok; 1 failed, no envelope in the range (without --allow-empty) or corrupt lines skipped
(without --allow-skips); 2 bad usage; 130 interrupted.`;

const CLI = { name: 'replay-s3', help: 'npm run backfill -- replay-s3 --help', usage: USAGE };

/** Parse and check the command line; every problem is reported at once. Pure. */
export function parseReplayArgs(args: string[]): ReplayCliOptions | { errors: string[] } {
  const values = parseFlags(args, {
    from: { type: 'string' },
    to: { type: 'string' },
    sources: { type: 'string' },
    force: { type: 'boolean', default: false },
    slack: { type: 'string', default: '24h' },
    'allow-skips': { type: 'boolean', default: false },
    'allow-empty': { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    'batch-size': { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16' },
    'progress-every': { type: 'string', default: '5' },
  });
  if ('errors' in values) return values;
  const errors: string[] = [];
  const { from, to } = minuteRange(values, errors);
  const names = values.sources?.split(',').flatMap((s) => s.trim() || []);
  const unknown = names?.filter((n) => !(SOURCE_NAMES as readonly string[]).includes(n)) ?? [];
  if (unknown.length || names?.length === 0)
    errors.push(
      `--sources: unknown ${unknown.join(', ') || '(none given)'}; known: ${SOURCE_NAMES.join(', ')}`,
    );
  const sources = (names as SourceName[] | undefined) ?? null;
  const slack = parseDuration(values.slack);
  if (!slack.ok) errors.push(describeRefusal('--slack', values.slack, slack.reason));
  const batchRows = wholeNumber(errors, 'batch-size', values['batch-size'], 1, 1_000_000);
  const concurrency = wholeNumber(errors, 'concurrency', values.concurrency, 1, 64);
  const progressEvery = wholeNumber(errors, 'progress-every', values['progress-every'], 0);
  if (errors.length) return { errors };
  return {
    from,
    to,
    sources,
    force: values.force,
    slackMs: slack.ok ? slack.ms : 0,
    batchRows,
    concurrency,
    resumable: true,
    fresh: values.fresh,
    allowSkips: values['allow-skips'],
    allowEmpty: values['allow-empty'],
    progressEveryMs: progressEvery * 1000,
  };
}

/** The process exit status for a finished (or interrupted) replay. Pure. */
export function replayExitStatus(s: ReplaySummary, allow: { allowSkips: boolean; allowEmpty: boolean }) {
  if (s.interrupted) return 130;
  if (s.counters.envelopes === 0 && !allow.allowEmpty) return 1;
  return s.counters.badObjects > 0 && !allow.allowSkips ? 1 : 0;
}

const int = (n: number | undefined) => Math.round(n ?? 0).toLocaleString('en-US');
const minuteIso = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';

/** The closing report, plain text. Pure. */
export function formatReplaySummary(
  opts: ReplayCliOptions,
  archive: string,
  s: ReplaySummary,
  elapsedMs: number,
): string {
  const c = s.counters;
  const mode = opts.force ? '--force: every row rewritten' : 'only absent rows written';
  const lines = [
    `replay-s3 ${archive} minutes ${minuteIso(opts.from)} .. ${minuteIso(opts.to)}, ` +
      `${opts.sources ? opts.sources.join(', ') : 'all sources'}, ${mode}`,
  ];
  if (s.resumedFrom !== null)
    lines.push(`  resumed     from ${minuteIso(s.resumedFrom)} (an interrupted run's progress)`);
  lines.push(
    `  objects     ${int(c.objects)} read (${(c.bytes / 1e6).toFixed(1)} MB); ${int(c.badObjects)} with corrupt lines skipped (${int(c.badLines)} lines)`,
    `  envelopes   ${int(c.envelopes)} in range; ${int(c.duplicates)} duplicates skipped; ${int(c.late)} arrived more than --slack ${formatDuration(opts.slackMs)} after their minute (left out)`,
    `  rates       ${int(c.rates)} normalized: ${int(c.ratesWritten)} written` +
      (opts.force
        ? ` (${int(c.ratesReplaced)} replacing stored rows)`
        : `, ${int(c.ratesKept)} already stored`),
    `  polls       ${int(c.polls)} normalized: ${int(c.pollsWritten)} written`,
    `  currencies  ${int(c.currencies)} first-seen rows written`,
  );
  if (c.stale > 0)
    lines.push(
      `  stale       ${int(c.stale)} stored rates rows the archive no longer gives (on ${s.staleDays.join(', ')}); ` +
        `QuestDB cannot delete single rows: drop those days' partitions and replay them`,
    );
  lines.push(
    `  elapsed     ${formatDuration(elapsedMs)} (${int((s.ratesThisRun * 1000) / Math.max(1, elapsedMs))} rows/s)`,
  );
  if (s.interrupted) lines.push('  INTERRUPTED: run the same command again to continue');
  return lines.join('\n');
}

/** Corrupt objects named one by one up to here, then only counted. */
const REPORT_LIMIT = 200;

export const replayS3: Backfill = {
  name: 'replay-s3',
  summary: 'rebuild rates, polls and currencies of a range of minutes from the raw archive in S3',
  usage: USAGE,
  async run(args, { config, log }) {
    const opts = parseReplayArgs(args);
    if ('errors' in opts) return usageExit(CLI, opts);
    const archiveName = `s3://${config.RAW_BUCKET}/${config.RAW_PREFIX}`;
    // Reach both ends before any work starts, so that what is missing is reported as one line.
    const s3 = makeS3(config);
    await checkBucket(s3, config).finally(() => s3.destroy());
    const db = makeDb(config, 2);
    await checkDb(db).catch(async (err: unknown) => {
      await db.end();
      throw err;
    });
    const ilp = await makeIlp(config, { requestTimeoutMs: 60_000, retryTimeoutMs: 30_000 });
    const archive = openS3Archive(config);
    const abort = new AbortController();
    const onSigint = () => {
      process.stderr.write('\nreplay-s3: stopping after the batch under way (Ctrl-C again to kill)\n');
      process.off('SIGINT', onSigint);
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    const clock = systemClock;
    const progress = makeProgress(process.stderr, clock, { plainEveryMs: opts.progressEveryMs });
    const started = clock.now();
    let reported = 0;
    let position = { done: 0, total: 1, rows: 0, skipped: 0, elapsedMs: 0 };
    try {
      const summary = await runReplay(opts, {
        db,
        store: makeQuestdbStore(ilp),
        archive: archive.store,
        prefix: config.RAW_PREFIX,
        archiveName,
        clock,
        signal: abort.signal,
        onStart: (i) => {
          if (i.resumedFrom !== null)
            progress.note(`replay-s3: resuming an interrupted run from ${minuteIso(i.resumedFrom)}`);
        },
        onObject: (o) => {
          if (o.bad.length === 0) return;
          if (++reported <= REPORT_LIMIT) {
            for (const b of o.bad.slice(0, 3)) progress.note(`${o.key}: line ${b.line}: ${b.error}`);
            if (o.bad.length > 3) progress.note(`${o.key}: ${o.bad.length - 3} more corrupt lines`);
          } else if (reported === REPORT_LIMIT + 1)
            progress.note('(more corrupt objects follow; only counted from here on)');
        },
        onProgress: (p) => {
          // Time through the arrival window is the measure of how far along the run is.
          const end = Math.min(p.listTo, clock.now());
          position = {
            done: Math.max(0, p.arrival - p.listFrom),
            total: Math.max(1, end - p.listFrom),
            rows: p.writtenThisRun,
            skipped: p.counters.badObjects,
            elapsedMs: clock.now() - started,
          };
          progress.update(position);
        },
      });
      // Rows rewritten in place keep their days' counts: tell the lake export those days (none past today) changed.
      const days = daysIn(opts.from, Math.min(opts.to, clock.now()));
      if (summary.counters.ratesReplaced > 0) await markChanged(ilp, days, clock.now());
      if (summary.interrupted) progress.done(position);
      else progress.done({ ...position, done: position.total, elapsedMs: clock.now() - started });
      process.stdout.write(`${formatReplaySummary(opts, archiveName, summary, clock.now() - started)}\n`);
      const status = replayExitStatus(summary, opts);
      if (status === 1 && (summary.counters.envelopes ?? 0) === 0)
        process.stderr.write(
          `replay-s3: ${archiveName} holds no envelope for ${minuteIso(opts.from)} .. ${minuteIso(opts.to)}; nothing replayed (--allow-empty accepts that)\n`,
        );
      else if (status === 1)
        process.stderr.write(
          `replay-s3: ${summary.counters.badLines} corrupt line(s) of ${summary.counters.badObjects} object(s) skipped; --allow-skips accepts that\n`,
        );
      return status;
    } catch (err) {
      log.debug({ err }, 'replay failed');
      const resume =
        position.rows > 0 ? ' (run the same command again to continue from the last batch written)' : '';
      throw new Error(`${failureLine(err)}${resume}`, { cause: err });
    } finally {
      process.off('SIGINT', onSigint);
      archive.close();
      await ilp.close().catch(() => {});
      await db.end();
    }
  },
};
