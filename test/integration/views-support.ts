/** Waiting for QuestDB's asynchronous layers: WAL apply of `rates`, then the refresh of the views built on it. */
import type { Db } from '../../sql/db.ts';
import { waitFor } from './stack-env.ts';

type WalRow = { name: string; suspended: boolean; writerTxn: string; sequencerTxn: string };
type ViewRow = {
  view_name: string;
  view_status: string;
  refresh_base_table_txn: string;
  base_table_txn: string;
};

/**
 * Resolve once every table in `tables` has applied all its WAL transactions and every view in `views` has been
 * refreshed up to its base table's transaction (and applied that refresh): reads are then exact. Fails fast on
 * a suspended table or an invalid view.
 */
export async function waitForSettled(
  db: Db,
  opts: { tables?: string[]; views?: string[]; timeoutMs?: number } = {},
): Promise<void> {
  const { tables = ['rates'], views = ['rates_1h', 'rates_1d'], timeoutMs = 30_000 } = opts;
  const names = new Set([...tables, ...views]);
  await waitFor(
    async () => {
      const wal = (
        await db.query<WalRow>('SELECT name, suspended, writerTxn, sequencerTxn FROM wal_tables()')
      ).filter((r) => names.has(r.name));
      const suspended = wal.find((r) => r.suspended);
      if (suspended) throw new Error(`${suspended.name} is WAL-suspended`);
      const mv = (
        await db.query<ViewRow>(
          'SELECT view_name, view_status, refresh_base_table_txn, base_table_txn FROM materialized_views()',
        )
      ).filter((r) => views.includes(r.view_name));
      const invalid = mv.find((r) => r.view_status === 'invalid');
      if (invalid) throw new Error(`${invalid.view_name} is invalid`);
      return (
        mv.length === views.length &&
        mv.every((r) => Number(r.refresh_base_table_txn) >= Number(r.base_table_txn)) &&
        wal.length === names.size &&
        wal.every((r) => r.writerTxn === r.sequencerTxn)
      );
    },
    timeoutMs,
    `${[...names].join(', ')} settled`,
  );
}
