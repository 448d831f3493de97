/** Candle history from a venue: each page archived unchanged, its closes written to `rates` where none is stored. */
import type { Config } from '../common/config.ts';
import type { Log } from '../common/log.ts';
import type { Clock, SourceName } from '../common/types.ts';
import type { Db } from '../sql/db.ts';
import { makeEnvelopes } from './archive/envelope.ts';
import type { Archive } from './archive/firehose.ts';
import type { Http } from './http.ts';
import { readSeriesMinutes } from './replay/tables.ts';
import { CANDLE_VENUES, candleRates } from './sources/candles.ts';
import type { Rejection } from './sources/types.ts';
import type { Store } from './store.ts';

const MINUTE = 60_000;
const ACCEPT_JSON = { accept: 'application/json' };
export const WARM_UP_MS = 12 * 60 * MINUTE;

export type CandleRun = { venue: SourceName; pairs: string[]; from: number; to: number };
export type CandleDeps = {
  http: Pick<Http, 'fetchAttempts'>;
  archive: Archive;
  store: Store;
  db: Db;
  config: Config;
  clock: Clock;
  signal?: AbortSignal; // stopping: no further page or retry
};
export type CandleCounts = { pages: number; skipped: number; rows: number; stored: number; rejected: number };

/** Fetch [from, to) page by page at the venue's pace; pages whose minutes are all stored are not fetched. */
export async function runCandles(
  run: CandleRun,
  deps: CandleDeps & { onPage?(c: CandleCounts, done: number, rejections: Rejection[]): void },
): Promise<CandleCounts> {
  const venue = CANDLE_VENUES[run.venue]!;
  const c: CandleCounts = { pages: 0, skipped: 0, rows: 0, stored: 0, rejected: 0 };
  for (const pair of run.pairs) {
    const quote = venue.pairs[pair]!;
    for (let from = run.from; from < run.to && !deps.signal?.aborted; from += venue.page * MINUTE) {
      const to = Math.min(run.to, from + venue.page * MINUTE);
      const have = await readSeriesMinutes(deps.db, { source: run.venue, currency: quote }, from, to);
      if (have.size === (to - from) / MINUTE && ++c.skipped) continue;
      const url = venue.url(deps.config, pair, from, to);
      const deadline = deps.clock.now() + MINUTE;
      const attempts = await deps.http.fetchAttempts(url, ACCEPT_JSON, deadline, deps.signal);
      const minute = Math.floor(attempts.at(-1)!.fetchedAt / MINUTE) * MINUTE;
      const envelopes = makeEnvelopes({ source: run.venue, url, minute, attempts, poller: 'candles' });
      const paged = envelopes.map((e) => ({ ...e, candles: { from, to } }));
      await deps.archive.put(paged);
      const got = candleRates(paged.at(-1)!);
      const fresh = got.rates.filter((r) => !have.has(r.ts));
      if (fresh.length) await deps.store.write({ rates: fresh });
      c.pages++;
      c.rows += fresh.length;
      c.stored += got.rates.length - fresh.length;
      c.rejected += got.rejections.length;
      deps.onPage?.(c, to - run.from, got.rejections);
      await deps.clock.sleep(venue.paceMs, deps.signal);
    }
  }
  return c;
}

/**
 * On start, in the background: the last 12 h of candles of every polled venue, pages fully stored skipped, so a
 * first start gets its history and a restart what it missed while down (or while an earlier warm-up was stopped).
 */
export async function warmUp(deps: CandleDeps & { log: Log }): Promise<void> {
  const to = Math.floor(deps.clock.now() / MINUTE) * MINUTE;
  for (const venue of deps.config.SOURCES.filter((s) => CANDLE_VENUES[s])) {
    if (deps.signal?.aborted) return;
    const { pairs, reach } = CANDLE_VENUES[venue]!;
    // A minute inside what the venue serves (Kraken: 719 closed minutes): the first page stays whole as minutes turn.
    const from = to - Math.min(WARM_UP_MS, ((reach ?? Infinity) - 1) * MINUTE);
    try {
      const c = await runCandles({ venue, pairs: Object.keys(pairs), from, to }, deps);
      deps.log.info({ venue, ...c }, 'warm-up: candles of the last 12 h');
    } catch (err) {
      deps.log.warn({ venue, err: (err as Error).message }, 'warm-up: candles failed');
    }
  }
}
