/**
 * The QuestDB side of a poll: `polls`, `rates` and new `currencies` rows as one ILP batch. Rows are plain data
 * (so a batch can wait in the spool as JSON); writes are idempotent through the tables' DEDUP keys.
 */
import type { Log } from '../common/log.ts';
import type { Currency, Poll, Rate } from '../common/types.ts';
import { ilpRefusal, type Ilp } from '../sql/ilp.ts';
import { makeDelivery, type Delivery } from './delivery.ts';
import type { Spool } from './spool.ts';

export type SourceRow = { id: string; kind: string; urlTemplate: string; description: string };
export type SpoolStatusRow = {
  ts: number;
  poller: string;
  channel: string;
  files: number;
  bytes: number;
  maxBytes: number;
  full: boolean;
  lost: number;
};

export type Batch = {
  polls?: Poll[];
  rates?: Rate[];
  currencies?: Currency[];
  sources?: SourceRow[];
  spool?: SpoolStatusRow[];
};

export type Store = { write(batch: Batch): Promise<void> };

/** Dimension rows share one constant designated timestamp, so DEDUP keys make their code/id the key. */
const DIMENSION_TS = 0;

export function makeQuestdbStore(ilp: Ilp): Store {
  return {
    write: (batch) =>
      ilp.write(async (s) => {
        for (const r of batch.rates ?? []) {
          s.table('rates')
            .symbol('source', r.source)
            .symbol('currency', r.currency)
            .floatColumn('rate', r.rate);
          if (r.quoteTs !== null) s.timestampColumn('quote_ts', r.quoteTs, 'ms');
          await s.at(r.ts, 'ms');
        }
        for (const p of batch.polls ?? []) {
          s.table('polls').symbol('source', p.source).symbol('poller', p.poller);
          if (p.reason) s.symbol('reason', p.reason);
          await s
            .intColumn('attempt', p.attempt)
            .timestampColumn('fetched_at', p.fetchedAt, 'ms')
            .intColumn('http_status', p.httpStatus)
            .floatColumn('latency_ms', p.latencyMs)
            .intColumn('bytes', p.bytes)
            .intColumn('accepted', p.accepted)
            .intColumn('rejected', p.rejected)
            .stringColumn('archive_id', p.archiveId)
            .stringColumn('error', p.error)
            .at(p.ts, 'ms');
        }
        for (const c of batch.currencies ?? []) {
          await s
            .table('currencies')
            .symbol('code', c.code)
            .symbol('kind', c.kind)
            .symbol('first_source', c.firstSource)
            .stringColumn('name', c.name)
            .timestampColumn('first_seen', c.firstSeen, 'ms')
            .at(DIMENSION_TS, 'ms');
        }
        for (const src of batch.sources ?? []) {
          await s
            .table('sources')
            .symbol('id', src.id)
            .symbol('kind', src.kind)
            .stringColumn('url_template', src.urlTemplate)
            .stringColumn('description', src.description)
            .at(DIMENSION_TS, 'ms');
        }
        for (const st of batch.spool ?? []) {
          await s
            .table('spool_status')
            .symbol('poller', st.poller)
            .symbol('channel', st.channel)
            .intColumn('files', st.files)
            .intColumn('bytes', st.bytes)
            .intColumn('max_bytes', st.maxBytes)
            .booleanColumn('full', st.full)
            .intColumn('lost', st.lost)
            .at(st.ts, 'ms');
        }
      }),
  };
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
