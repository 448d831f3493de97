/** The ILP rows of a batch, written into the client's Sender. Pure but for the sink. */
import type { Batch } from './store.ts';

/** What `buildRows` writes into: the part of the client's Sender it uses. */
export type RowSink = {
  table(name: string): RowSink;
  symbol(name: string, value: string): RowSink;
  floatColumn(name: string, value: number): RowSink;
  intColumn(name: string, value: number): RowSink;
  stringColumn(name: string, value: string): RowSink;
  booleanColumn(name: string, value: boolean): RowSink;
  timestampColumn(name: string, value: number, unit: 'ms'): RowSink;
  at(ts: number, unit: 'ms'): unknown;
};

/** Dimension rows share one constant designated timestamp, so DEDUP keys make their code/id the key. */
const DIMENSION_TS = 0;

/** The ILP rows of a batch: rates, then polls, rejections, currencies, sources and spool status. */
export async function buildRows(s: RowSink, batch: Batch): Promise<void> {
  for (const r of batch.rates ?? []) {
    s.table('rates').symbol('source', r.source).symbol('currency', r.currency).floatColumn('rate', r.rate);
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
  for (const r of batch.rejections ?? []) {
    s.table('rejections').symbol('source', r.source).symbol('poller', r.poller);
    if (r.currency !== null) s.symbol('currency', r.currency);
    await s
      .symbol('reason', r.reason)
      .intColumn('attempt', r.attempt)
      .stringColumn('detail', r.detail)
      .at(r.ts, 'ms');
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
}
