/** Waiting for QuestDB's WAL tables to apply what they acknowledged, so reads see rows just written. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from './db.ts';
import { loadQueries, pick } from './loader.ts';

const Q = loadQueries('./wal.sql', import.meta.url);

/**
 * Wait (in real time: it is QuestDB's progress) until `tables` applied every transaction acknowledged so far;
 * throws after `timeoutMs`, or when QuestDB has suspended a table's WAL apply.
 */
export async function waitForWal(db: Db, tables: string[], timeoutMs = 60_000): Promise<void> {
  type Row = { name: string; suspended: boolean; writerTxn: string | number; sequencerTxn: string | number };
  const read = async () => (await db.query<Row>(pick(Q, 'walTables'))).filter((r) => tables.includes(r.name));
  const target = new Map((await read()).map((r) => [r.name, Number(r.sequencerTxn)]));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await read();
    const suspended = rows.find((r) => r.suspended);
    if (suspended) throw new Error(`QuestDB has suspended WAL apply of table ${suspended.name}`);
    const behind = rows.filter((r) => Number(r.writerTxn) < (target.get(r.name) ?? 0)).map((r) => r.name);
    if (behind.length === 0) return;
    if (Date.now() >= deadline)
      throw new Error(`QuestDB has not applied writes to ${behind.join(', ')} after ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}
