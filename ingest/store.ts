/**
 * The QuestDB side of a poll: `polls`, `rates`, `rejections` and new `currencies` rows as one ILP batch. Rows are
 * plain data (so a batch can wait in the spool as JSON); writes are idempotent through the tables' DEDUP keys.
 */
import type { Log } from '../common/log.ts';
import { ilpRefusal, type Ilp } from '../sql/ilp.ts';
import { writeBatch, type Batch, type SourceRow, type SpoolStatusRow } from '../sql/tables.ts';
import { makeDelivery, type Delivery } from './delivery.ts';
import type { Spool } from './spool.ts';

export type { Batch, SourceRow, SpoolStatusRow };

export type Store = {
  write(batch: Batch): Promise<void>;
};

export function makeQuestdbStore(ilp: Ilp): Store {
  return { write: (batch) => ilp.write((s) => writeBatch(s, batch)) };
}

/**
 * The store channel of a spool: batches to QuestDB, spooled while it is away. A batch QuestDB refuses for good
 * (HTTP 400) would stall the queue forever; it is set aside instead, its rows replayable from S3.
 */
export function makeStoreDelivery(deps: {
  spool: Spool;
  store: Store;
  log: Log;
  onLost?: (batch: Batch, err: Error) => void;
}): Delivery<Batch> {
  const { spool, store, log, onLost } = deps;
  return makeDelivery<Batch>({
    channel: 'store',
    spool,
    send: (b) => store.write(b),
    refusal: ilpRefusal,
    log,
    ...(onLost ? { onLost } : {}),
  });
}
