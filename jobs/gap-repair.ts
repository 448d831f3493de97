/** Gap repair: hourly, refill a window's missing `rates` minutes from the raw archive, recorded in `gaps`. */
import type { AwsConfig } from '../common/aws.ts';
import type { Config } from '../common/config.ts';
import type { Clock, SourceName } from '../common/types.ts';
import { rateKey, type MinuteOutput } from '../ingest/replay/minutes.ts';
import { openS3Archive, type OpenArchive } from '../ingest/archive/store.ts';
import { runReplay } from '../ingest/replay/replay.ts';
import { makeQuestdbStore } from '../ingest/store.ts';
import type { Db } from '../sql/db.ts';
import type { Ilp } from '../sql/ilp.ts';
import { TABLES, writeRows } from '../sql/tables.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import { waitForWal } from '../sql/wal.ts';
import { classifyGaps, gridGaps, isFinal, spansOf, type Gap, type Series } from './gaps.ts';
import type { Job, JobContext } from './runner.ts';

const Q = loadQueries('../sql/gaps.sql', import.meta.url);
const MIN = 60_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

export type GapRepairOptions = {
  db: Db;
  ilp: Ilp;
  clock: Clock;
  config: AwsConfig & Pick<Config, 'SOURCES' | 'RAW_BUCKET' | 'RAW_PREFIX'>;
  /** The archive for one run (default: S3 from the configuration, closed after the run). */
  openArchive?: () => OpenArchive;
  /** How late a response may arrive in the archive (as replay-s3 --slack). */
  slackMs?: number;
  /** A series is expected in a window when it has a row this far before it, or in it. */
  seriesLookbackMs?: number;
};

/** A recorded gap; `filled` (dueGaps only): its minute has a rates row by now. */
type Recorded = Series & { ts: Date; status: string; final: boolean; found_at: Date; filled?: boolean };

/** The job's work for one window; resolves to the rates rows it wrote. */
export function makeGapRepair(opts: GapRepairOptions) {
  const { db, ilp, clock, config } = opts;
  const slackMs = opts.slackMs ?? 24 * HOUR;
  const lookbackMs = opts.seriesLookbackMs ?? 24 * HOUR;
  const openArchive = opts.openArchive ?? (() => openS3Archive(config));

  /** The gaps of the window on the expected grid. */
  async function findGaps(start: number, end: number): Promise<Gap[]> {
    const sources = new Set<string>(config.SOURCES);
    const range = [iso(start), iso(end)];
    const counted = await db.query<Series & { n: string }>(pick(Q, 'seriesCounts'), range);
    const counts = new Map(counted.map((r) => [`${r.source}|${r.currency}`, Number(r.n)]));
    const minutes = Math.ceil((end - start) / MIN); // windows are whole minutes
    const seen = await db.query<Series>(pick(Q, 'seriesSeen'), [iso(start - lookbackMs), iso(end)]);
    const incomplete = seen.filter(
      (s) => sources.has(s.source) && (counts.get(`${s.source}|${s.currency}`) ?? 0) < minutes,
    );
    const present = new Set<string>();
    for (const source of new Set(incomplete.map((s) => s.source))) {
      const rows = await db.query<{ ts: Date; currency: string }>(pick(Q, 'sourceRows'), [source, ...range]);
      for (const r of rows) present.add(rateKey({ ts: r.ts.getTime(), source, currency: r.currency }));
    }
    return gridGaps({ start, end }, incomplete, present);
  }

  return async ({ window, signal, log }: Pick<JobContext, 'window' | 'signal' | 'log'>) => {
    const now = clock.now();
    await waitForWal(db, ['rates', 'gaps']);
    const recorded = new Map<string, Recorded>();
    for (const g of await db.query<Recorded>(pick(Q, 'recordedGaps'), [iso(window.start), iso(window.end)]))
      recorded.set(rateKey({ ...g, ts: g.ts.getTime() }), g);
    const fresh = (await findGaps(window.start, window.end)).filter((g) => !recorded.has(rateKey(g)));
    const filled = new Set<string>();
    const due = (await db.query<Recorded>(pick(Q, 'dueGaps'), [iso(now - slackMs - MIN)])).map((g) => {
      const key = rateKey({ ...g, ts: g.ts.getTime() });
      recorded.set(key, g);
      if (g.filled) filled.add(key);
      return { ts: g.ts.getTime(), source: g.source, currency: g.currency };
    });
    const search = [...new Map([...fresh, ...due].map((g) => [rateKey(g), g])).values()];
    if (search.length === 0) return { rows: 0 };

    const gapKeys = new Set(search.map(rateKey));
    const sourceMinute = (g: { ts: number; source: string }) => `${g.ts}|${g.source}`;
    const gapMinutes = new Set(search.map(sourceMinute));
    const fixed = {
      force: false,
      slackMs,
      batchRows: 20_000,
      concurrency: 4,
      resumable: false,
      fresh: false,
    };
    const outs: MinuteOutput[] = [];
    const archive = openArchive();
    try {
      const minutes = search.filter((g) => !filled.has(rateKey(g))).map((g) => g.ts); // a filled gap needs no search
      for (const span of spansOf(minutes, HOUR)) {
        const inSpan = search.filter((g) => g.ts >= span.from && g.ts < span.to);
        const sources = [...new Set(inSpan.map((g) => g.source as SourceName))];
        await runReplay(
          { ...span, sources, ...fixed },
          {
            db,
            store: makeQuestdbStore(ilp),
            archive: archive.store,
            prefix: config.RAW_PREFIX,
            archiveName: `s3://${config.RAW_BUCKET}/${config.RAW_PREFIX}`,
            clock,
            signal,
            select: { rate: (r) => gapKeys.has(rateKey(r)), poll: (p) => gapMinutes.has(sourceMinute(p)) },
            onMinute: (o) => {
              if (o.polls.some((p) => gapMinutes.has(sourceMinute(p)))) outs.push(o);
            },
          },
        );
      }
    } finally {
      archive.close();
    }

    const verdicts = classifyGaps(search, outs, filled);
    const tally = { repaired: 0, rejected: 0, missing: 0 };
    const rows = search.map((g) => {
      const key = rateKey(g);
      const v = verdicts.get(key)!;
      tally[v.status]++;
      return {
        ts: g.ts,
        source: g.source,
        currency: g.currency,
        status: v.status,
        final: isFinal(v.status, g.ts, now, slackMs),
        reason: v.reason,
        foundAt: recorded.get(key)?.found_at.getTime() ?? now,
        checkedAt: now,
      };
    });
    await ilp.write((s) => writeRows(s, TABLES.gaps, rows));
    log.info(
      { found: fresh.length, searchedAgain: due.length, ...tally, filledSince: filled.size },
      'gaps searched in the raw archive',
    );
    return { rows: tally.repaired - filled.size };
  };
}

/** The registered job: hourly windows, 20 minutes after each hour (Firehose buffers up to 15 minutes). */
export function makeGapRepairJob(opts: GapRepairOptions): Job {
  const repair = makeGapRepair(opts);
  return {
    name: 'gap-repair',
    policy: {
      windowMs: HOUR,
      delayMs: 20 * MIN,
      catchUp: 'each',
      maxLookbackMs: 7 * 24 * HOUR,
      maxBatch: 24,
    },
    run: (ctx) => repair(ctx),
  };
}
