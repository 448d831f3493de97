/** The QuestDB side of a poll: its rows as one ILP batch of plain data (spoolable as JSON), idempotent by DEDUP. */
import type { Log } from '../common/log.ts';
import { ilpRefusal, type Ilp } from '../sql/ilp.ts';
import { writeBatch, type Batch } from '../sql/tables.ts';
import { makeDelivery, type Delivery } from './delivery.ts';
import type { Spool } from './spool.ts';

export type { Batch };

export type Store = { write(batch: Batch): Promise<void> };

export function makeQuestdbStore(ilp: Ilp): Store {
  return { write: (batch) => ilp.write((s) => writeBatch(s, batch)) };
}

/** Batches to QuestDB, spooled while it is away; one refused for good is set aside (its rows replayable from S3). */
export function makeStoreDelivery(deps: {
  spool: Spool;
  store: Store;
  log: Log;
  onLost?: (batch: Batch, err: Error) => void;
}): Delivery<Batch> {
  const send = (b: Batch) => deps.store.write(b);
  return makeDelivery<Batch>({ ...deps, channel: 'store', send, refusal: ilpRefusal });
}
