/** `npm run backfill -- candles`: a venue's one-minute candles into the raw archive and `rates`. */
import { minuteRange, parseFlags, usageExit } from '../../common/cli.ts';
import { systemClock } from '../../common/clock.ts';
import { makeFirehose } from '../../common/firehose.ts';
import type { SourceName } from '../../common/types.ts';
import { runCandles, type CandleCounts, type CandleRun } from '../../ingest/candle-backfill.ts';
import { makeFirehoseArchive } from '../../ingest/archive/firehose.ts';
import { makeHttp } from '../../ingest/http.ts';
import { CANDLE_VENUES } from '../../ingest/sources/candles.ts';
import type { Rejection } from '../../ingest/sources/types.ts';
import { makeQuestdbStore } from '../../ingest/store.ts';
import { checkDb, makeDb } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { makeProgress } from './progress.ts';
import type { Backfill } from './registry.ts';

const VENUES = Object.keys(CANDLE_VENUES).join(', ');
const USAGE = `usage: npm run backfill -- candles --venue <venue> --from <time> --to <time>

  --venue       ${VENUES} (gemini's candles take no time range: it is not backfilled)
  --from, --to  the minutes to fetch, [from, to): ISO 8601 (UTC unless a zone is given); Kraken serves its last 720

Every page is archived raw like a poll; rows are written only for minutes with no row stored (run twice, no change).`;
const HTTP = { connectTimeoutMs: 5e3, bodyTimeoutMs: 3e4, maxAttempts: 4, baseDelayMs: 1e3, maxBytes: 1e6 };
const CLI = { name: 'candles', help: 'npm run backfill -- candles --help', usage: USAGE };

/** The command line checked against `now`; every problem at once. Pure. */
export function parseCandleArgs(args: string[], now: number): CandleRun | { errors: string[] } {
  const text = { type: 'string' } as const;
  const v = parseFlags(args, { venue: text, from: text, to: text });
  if ('errors' in v) return v;
  const errors: string[] = [];
  const venue = Object.entries(CANDLE_VENUES).find(([name]) => name === v.venue)?.[1]; // own keys only
  if (v.venue === 'gemini')
    errors.push('--venue gemini: its candles endpoint takes no time range, so it cannot be paged');
  else if (!venue)
    errors.push(`--venue ${v.venue === undefined ? 'is required' : `"${v.venue}": use one of ${VENUES}`}`);
  const { from, to } = minuteRange(v, errors);
  const minute = Math.floor(now / 60_000) * 60_000; // the one under way: --to is rounded up to its end
  if (to > minute + 60_000) errors.push('--to is in the future');
  if (venue?.reach && from < minute - venue.reach * 60_000)
    errors.push(`--from ${v.from}: ${v.venue} serves only its last ${venue.reach} closed minutes of candles`);
  if (errors.length) return { errors };
  return { venue: v.venue as SourceName, pairs: Object.keys(venue!.pairs), from, to };
}

export const venueCandles: Backfill = {
  name: 'candles',
  summary: "fetch a venue's one-minute candles (archived raw) into rates",
  usage: USAGE,
  async run(args, { config }) {
    const run = parseCandleArgs(args, systemClock.now());
    if ('errors' in run) return usageExit(CLI, run);
    const [db, firehose, clock] = [makeDb(config, 1), makeFirehose(config), systemClock];
    const [ilp, http] = [await makeIlp(config), makeHttp({ ...HTTP, clock })];
    const [progress, started, total] = [makeProgress(process.stderr, clock), clock.now(), run.to - run.from];
    const state = (c: CandleCounts, done: number) =>
      ({ ...c, done, total, elapsedMs: clock.now() - started }) as const;
    try {
      await checkDb(db);
      const archive = makeFirehoseArchive({ firehose, stream: config.FIREHOSE_STREAM });
      const deps = { http, archive, store: makeQuestdbStore(ilp), db, config, clock };
      const onPage = (c: CandleCounts, done: number, rejections: Rejection[]) => {
        // A page's first rejection says why (a venue unreachable, a changed format); the summary counts them all.
        const [r] = rejections;
        if (r)
          progress.note(`page ending ${new Date(run.from + done).toISOString()}: ${r.reason}: ${r.detail}`);
        progress.update(state(c, done));
      };
      const c = await runCandles(run, { ...deps, onPage });
      progress.done(state(c, total));
      const span = `${new Date(run.from).toISOString()} .. ${new Date(run.to).toISOString()}`;
      process.stdout.write(
        `candles ${run.venue} ${run.pairs.join(',')} ${span}: ${c.pages} pages fetched and archived, ${c.skipped} ` +
          `skipped (all stored), ${c.rows} rows written, ${c.stored} already stored, ${c.rejected} rejected\n`,
      );
      return c.rejected > 0 ? 1 : 0;
    } finally {
      await http.close();
      await ilp.close().catch(() => {});
      firehose.destroy();
      await db.end();
    }
  },
};
