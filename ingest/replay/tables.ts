/** What a replay reads from QuestDB, and its progress record (`replay_progress`). */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../sql/db.ts';
import { loadQueries, pick } from '../../sql/loader.ts';
import { JUMP_LOOKBACK_MS } from '../normalize.ts';
import { pollKey, rateKey, type PreviousState } from './normalizer.ts';
import type { Counters } from './types.ts';
import type { StoredKeys } from './writer.ts';

const Q = loadQueries('../../sql/replay.sql', import.meta.url);
const iso = (ms: number) => new Date(ms).toISOString();

/** The tables a replay reads and writes. */
export const REPLAY_TABLES = ['rates', 'polls', 'rejections', 'currencies', 'replay_progress'];

/**
 * Wait until each table has applied every transaction acknowledged so far (WAL tables apply asynchronously).
 * Resolves false when they have not within `timeoutMs` (reads may then miss the newest rows, which costs a
 * rewrite of identical rows, nothing worse). Real time, not the injected clock: it is QuestDB's progress.
 */
export async function waitForWal(db: Db, tables: string[], timeoutMs = 60_000): Promise<boolean> {
  type Row = { name: string; suspended: boolean; writerTxn: string | number; sequencerTxn: string | number };
  const read = async () => (await db.query<Row>(pick(Q, 'walTables'))).filter((r) => tables.includes(r.name));
  const target = new Map((await read()).map((r) => [r.name, Number(r.sequencerTxn)]));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await read();
    const suspended = rows.find((r) => r.suspended);
    if (suspended) throw new Error(`QuestDB has suspended WAL apply of table ${suspended.name}`);
    if (rows.every((r) => Number(r.writerTxn) >= (target.get(r.name) ?? 0))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

/** Last accepted rate per source and currency within the jump check's look-back before `minute`. */
export async function readPrevious(db: Db, minute: number, sources: Set<string>): Promise<PreviousState> {
  const rows = await db.query<{ ts: Date; source: string; currency: string; rate: number }>(
    pick(Q, 'seedPrevious'),
    [iso(minute - JUMP_LOOKBACK_MS), iso(minute)],
  );
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
    rates: new Set(rates.map((r) => rateKey({ ts: r.ts.getTime(), source: r.source, currency: r.currency }))),
    polls: new Set(polls.map((p) => pollKey({ ...p, ts: p.ts.getTime() }))),
  };
}

export type SavedState = { previous: PreviousState; counters: Counters };
export type Progress = { doneUntil: number; status: 'running' | 'done'; state: SavedState };

export async function loadProgress(db: Db, runKey: string): Promise<Progress | null> {
  const [row] = await db.query<{ done_until: Date; status: string; state: string }>(pick(Q, 'loadProgress'), [
    runKey,
  ]);
  if (!row) return null;
  let state: SavedState;
  try {
    state = JSON.parse(row.state) as SavedState;
  } catch {
    return null; // an unreadable record is no record: start over (replays are idempotent)
  }
  return { doneUntil: row.done_until.getTime(), status: row.status === 'done' ? 'done' : 'running', state };
}

export async function saveProgress(
  db: Db,
  run: { key: string; from: number; to: number; args: string },
  p: Progress & { lastKey: string; at: number },
): Promise<void> {
  await db.query(pick(Q, 'saveProgress'), [
    iso(run.from),
    run.key,
    iso(run.to),
    iso(p.doneUntil),
    p.status,
    p.lastKey,
    run.args,
    JSON.stringify(p.state),
    iso(p.at),
  ]);
}
