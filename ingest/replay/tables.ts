/** What a replay, the candles backfill and a starting poller read from QuestDB; a replay's saved progress. */
import type { Db } from '../../sql/db.ts';
import { loadQueries, pick } from '../../sql/loader.ts';
import { JUMP_LOOKBACK_MS } from '../normalize.ts';
import { pollKey, rateKey, type PreviousState } from './minutes.ts';
import type { Counters } from './replay.ts';
import type { Store } from '../store.ts';
import type { StoredKeys } from './writer.ts';

const Q = loadQueries('../../sql/replay.sql', import.meta.url);
const iso = (ms: number) => new Date(ms).toISOString();

/** Last accepted rate per source and currency within the jump check's look-back before `minute`. */
export async function readPrevious(db: Db, minute: number, sources: Set<string>): Promise<PreviousState> {
  type Row = { ts: Date; source: string; currency: string; rate: number };
  const rows = await db.query<Row>(pick(Q, 'seedPrevious'), [iso(minute - JUMP_LOOKBACK_MS), iso(minute)]);
  const out: PreviousState = {};
  for (const r of rows)
    if (sources.has(r.source)) (out[r.source] ??= {})[r.currency] = { rate: r.rate, ts: r.ts.getTime() };
  return out;
}

/** First-seen minute of every code in `currencies`. */
export async function readFirstSeen(db: Db): Promise<Map<string, number>> {
  const rows = await db.query<{ code: string; first_seen: Date | null }>(pick(Q, 'currenciesFirstSeen'));
  return new Map(rows.map((r) => [r.code, r.first_seen?.getTime() ?? -Infinity]));
}

/** Keys of the `rates` and `polls` rows stored in minutes [from, to). */
export async function readKeys(db: Db, from: number, to: number): Promise<StoredKeys> {
  const span = [iso(from), iso(to)];
  const [rates, polls] = await Promise.all([
    db.query<{ ts: Date; source: string; currency: string }>(pick(Q, 'rateKeys'), span),
    db.query<{ ts: Date; source: string; attempt: number; poller: string }>(pick(Q, 'pollKeys'), span),
  ]);
  return {
    rates: new Set(rates.map((r) => rateKey({ ...r, ts: r.ts.getTime() }))),
    polls: new Set(polls.map((p) => pollKey({ ...p, ts: p.ts.getTime() }))),
  };
}

/** The minutes (epoch ms) stored of one source and currency in [from, to). */
export async function readSeriesMinutes(
  db: Db,
  series: { source: string; currency: string },
  from: number,
  to: number,
): Promise<Set<number>> {
  const params = [series.source, series.currency, iso(from), iso(to)];
  return new Set((await db.query<{ ts: Date }>(pick(Q, 'seriesMinutes'), params)).map((r) => r.ts.getTime()));
}

/** What a killed run resumes with: the jump check's memory and the counters after its last saved batch. */
export type SavedState = { previous: PreviousState; counters: Counters };
export type Progress = { doneUntil: number; status: 'running' | 'done'; state: SavedState };

export async function loadProgress(db: Db, runKey: string): Promise<Progress | null> {
  type Row = { done_until: Date; status: string; state: string };
  const [row] = await db.query<Row>(pick(Q, 'loadProgress'), [runKey]);
  if (!row) return null;
  let state: SavedState;
  try {
    state = JSON.parse(row.state) as SavedState;
  } catch {
    return null; // an unreadable record is no record: start over (replays are idempotent)
  }
  return { doneUntil: row.done_until.getTime(), status: row.status === 'done' ? 'done' : 'running', state };
}

/** Save where a run is: one `replay_progress` row per run, each save replacing the last. */
export async function saveProgress(
  store: Store,
  run: { key: string; from: number; to: number; args: string },
  p: Progress & { lastKey: string; at: number },
): Promise<void> {
  const { key: runKey, from: ts, to: rangeTo, args } = run;
  const row = { ts, runKey, rangeTo, args, doneUntil: p.doneUntil, status: p.status, lastKey: p.lastKey };
  await store.write({ progress: [{ ...row, state: JSON.stringify(p.state), updatedAt: p.at }] });
}
