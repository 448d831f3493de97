/**
 * The schema edge: for every table the product writes, one declaration gives its row type, its columns and its
 * DEDUP key. test/integration/tables.test.ts checks them against the migrations' DDL as applied to QuestDB.
 */
import type { Sender } from '@questdb/nodejs-client';
import type { RejectionReason } from '../common/types.ts';

/** QuestDB column types, as `SHOW COLUMNS` names them, and the value a row holds in each. */
type Values = {
  SYMBOL: string;
  VARCHAR: string;
  BOOLEAN: boolean;
  DOUBLE: number;
  INT: number;
  LONG: number;
  TIMESTAMP: number;
};
type ColumnType = keyof Values;

/** A column declaration; `V` (only typed, never set) is the value a row holds in it. */
type Col<V> = { type: ColumnType; name?: string; value?: V };

/** A column of `type`, named `name` or else its field in snake_case; `V` narrows the value (a union, or null). */
function col<T extends ColumnType>(type: T, name?: string): Col<Values[T]>;
function col<V>(type: ColumnType, name?: string): Col<V>;
function col(type: ColumnType, name?: string): Col<unknown> {
  return { type, name };
}

export type TableSpec<R> = {
  name: string;
  /** DEDUP UPSERT KEYS, designated timestamp `ts` first. */
  keys: readonly string[];
  /** Every column but `ts`, symbols first (ILP requires them before any other column). */
  columns: readonly { name: string; type: ColumnType; field: keyof R & string }[];
  /** The row's designated timestamp, epoch ms. */
  ts: (row: R) => number;
};

type RowOf<C> = { [K in keyof C]: C[K] extends Col<infer V> ? V : never };

/** Dimension rows share one constant designated timestamp, so DEDUP makes their code or id the key. */
const DIMENSION_TS = 0;

/** A table from its fields' columns. A field `ts` is the designated timestamp; a table without one is a dimension. */
function table<C extends Record<string, Col<unknown>>>(
  name: string,
  keys: readonly string[],
  fields: C,
): TableSpec<RowOf<C>> {
  const cols = Object.entries(fields)
    .filter(([field]) => field !== 'ts')
    .map(([field, c]) => ({
      name: c.name ?? field.replace(/[A-Z]/g, (u) => `_${u.toLowerCase()}`),
      type: c.type,
      field,
    }));
  const columns = [...cols.filter((c) => c.type === 'SYMBOL'), ...cols.filter((c) => c.type !== 'SYMBOL')];
  const ts = 'ts' in fields ? (row: RowOf<C>) => row.ts as number : () => DIMENSION_TS;
  return { name, keys, columns, ts };
}

/** A row as read back over PG wire: the fields in `Times` arrive as Dates. */
export type Stored<R, Times extends keyof R> = Omit<R, Times> & { [K in Times]: Date };

export const TABLES = {
  /** One normalized observation; `ts` is the poll's scheduled minute. */
  rates: table('rates', ['ts', 'source', 'currency'], {
    ts: col('TIMESTAMP'),
    source: col('SYMBOL'),
    currency: col('SYMBOL'),
    rate: col('DOUBLE'),
    /** The source's own quote time, epoch ms, when it reports one. */
    quoteTs: col<number | null>('TIMESTAMP'),
  }),
  /** One API call (one attempt) at its scheduled minute `ts`. */
  polls: table('polls', ['ts', 'source', 'attempt', 'poller'], {
    ts: col('TIMESTAMP'),
    source: col('SYMBOL'),
    attempt: col('INT'),
    /** POLLER_ID of the process that made the call: two pollers' calls are two rows. */
    poller: col('SYMBOL'),
    fetchedAt: col('TIMESTAMP'),
    httpStatus: col('INT'),
    latencyMs: col('DOUBLE'),
    bytes: col('LONG'),
    accepted: col('INT'),
    rejected: col('INT'),
    /** Id of the raw envelope in the archive: the lineage from rows back to S3. */
    archiveId: col('VARCHAR'),
    /** The first rejection reason that is not filtered (REJECTION_REASONS), empty when nothing was rejected. */
    reason: col<RejectionReason | ''>('SYMBOL'),
    /** Every rejection (not filtered) with its detail, empty when nothing was rejected. */
    error: col('VARCHAR'),
  }),
  /** One value (or, with `currency` null, the whole poll) not turned into a rate; keyed like its `polls` row. */
  rejections: table('rejections', ['ts', 'source', 'attempt', 'poller', 'currency', 'reason'], {
    ts: col('TIMESTAMP'),
    source: col('SYMBOL'),
    attempt: col('INT'),
    poller: col('SYMBOL'),
    /** A valid currency code, or null when the whole poll is at fault or the payload key is not a code. */
    currency: col<string | null>('SYMBOL'),
    reason: col<RejectionReason>('SYMBOL'),
    detail: col('VARCHAR'),
  }),
  /** A currency code seen for the first time. */
  currencies: table('currencies', ['ts', 'code'], {
    code: col('SYMBOL'),
    name: col('VARCHAR'),
    kind: col<'fiat' | 'crypto' | 'unknown'>('SYMBOL'),
    firstSeen: col('TIMESTAMP'),
    firstSource: col('SYMBOL'),
  }),
  /** A rate API the poller knows. */
  sources: table('sources', ['ts', 'id'], {
    id: col('SYMBOL'),
    kind: col('SYMBOL'),
    urlTemplate: col('VARCHAR'),
    description: col('VARCHAR'),
  }),
  /** A poller's spool at one minute. */
  spool: table('spool_status', ['ts', 'poller', 'channel'], {
    ts: col('TIMESTAMP'),
    poller: col('SYMBOL'),
    channel: col('SYMBOL'),
    files: col('INT'),
    bytes: col('LONG'),
    maxBytes: col('LONG'),
    full: col('BOOLEAN'),
    lost: col('LONG'),
  }),
  /** One model's forecast of one series, `horizon` minutes after `madeAt`; `ts` is the target minute. */
  forecasts: table('forecasts', ['ts', 'horizon', 'source', 'currency', 'model'], {
    ts: col('TIMESTAMP'),
    madeAt: col('TIMESTAMP'),
    horizon: col('INT'),
    source: col('SYMBOL'),
    currency: col('SYMBOL'),
    model: col('SYMBOL'),
    mean: col('DOUBLE'),
    lo50: col('DOUBLE'),
    hi50: col('DOUBLE'),
    lo90: col('DOUBLE'),
    hi90: col('DOUBLE'),
    points: col('INT'),
    fitMs: col('DOUBLE'),
    /** gp-icm's related series and its lead in minutes (migration 0009); null for other models or none used. */
    leadSeries: col<string | null>('SYMBOL'),
    leadMinutes: col<number | null>('DOUBLE'),
  }),
  /** Live skill of one model on one series over one span ending at `ts`. */
  scores: table('forecast_scores', ['ts', 'span', 'source', 'currency', 'model', 'horizon'], {
    ts: col('TIMESTAMP'),
    span: col('SYMBOL'),
    source: col('SYMBOL'),
    currency: col('SYMBOL'),
    model: col('SYMBOL'),
    horizon: col('INT'),
    n: col('LONG'),
    rmse: col('DOUBLE'),
    mae: col('DOUBLE'),
    skill: col<number | null>('DOUBLE'),
    coverage50: col('DOUBLE'),
    coverage90: col('DOUBLE'),
    width90: col('DOUBLE'),
  }),
  /** One model's backtest of one series at one horizon; non-finite statistics are stored as NULL. */
  backtests: table('backtests', ['ts', 'run_id', 'source', 'currency', 'model', 'horizon'], {
    ts: col('TIMESTAMP'),
    runId: col('SYMBOL'),
    source: col('SYMBOL'),
    currency: col('SYMBOL'),
    model: col('SYMBOL'),
    horizon: col('INT'),
    fromTs: col('TIMESTAMP'),
    toTs: col('TIMESTAMP'),
    origins: col('LONG'),
    rmse: col('DOUBLE'),
    rmseRatio: col('DOUBLE'),
    dmStat: col('DOUBLE'),
    dmP: col('DOUBLE'),
    coverage50: col('DOUBLE'),
    coverage90: col('DOUBLE'),
    width90: col('DOUBLE'),
    fitMs: col('DOUBLE'),
  }),
  /** A missing minute of one series and what the archive said about it. */
  gaps: table('gaps', ['ts', 'source', 'currency'], {
    ts: col('TIMESTAMP'),
    source: col('SYMBOL'),
    currency: col('SYMBOL'),
    status: col('SYMBOL'),
    final: col('BOOLEAN'),
    reason: col('VARCHAR'),
    foundAt: col('TIMESTAMP'),
    checkedAt: col('TIMESTAMP'),
  }),
  /** One run of a job over one window; recording the same `startedAt` again replaces it. */
  jobRuns: table('job_runs', ['ts', 'job', 'started_at'], {
    ts: col('TIMESTAMP'),
    job: col('SYMBOL'),
    windowEnd: col('TIMESTAMP'),
    startedAt: col('TIMESTAMP'),
    status: col('SYMBOL'),
    durationMs: col('DOUBLE'),
    rowsTouched: col('LONG'),
    error: col('VARCHAR'),
  }),
  /** Where a replay run has got to, so a re-run resumes; `ts` is the start of the run's range. */
  replayProgress: table('replay_progress', ['ts', 'run_key'], {
    ts: col('TIMESTAMP'),
    runKey: col('SYMBOL'),
    rangeTo: col('TIMESTAMP'),
    doneUntil: col('TIMESTAMP'),
    status: col('SYMBOL'),
    lastKey: col('VARCHAR'),
    args: col('VARCHAR'),
    state: col('VARCHAR'),
    updatedAt: col('TIMESTAMP'),
  }),
  /** One export of one UTC day of one table to the curated lake; the latest replaces the day's record. */
  lakeExports: table('lake_exports', ['ts', 'tbl'], {
    ts: col('TIMESTAMP'),
    table: col('SYMBOL', 'tbl'),
    rows: col('LONG', 'rows_exported'),
    /** Object key written, empty when the day had no rows. */
    key: col('VARCHAR', 'object_key'),
    bytes: col('LONG'),
    exportedAt: col('TIMESTAMP'),
  }),
};

/** The row type of a table in TABLES. */
type Row<K extends keyof typeof TABLES> = (typeof TABLES)[K] extends TableSpec<infer R> ? R : never;
export type Rate = Row<'rates'>;
export type Poll = Row<'polls'>;
export type RejectionRow = Row<'rejections'>;
export type Currency = Row<'currencies'>;
export type SourceRow = Row<'sources'>;
export type SpoolStatusRow = Row<'spool'>;
export type ForecastRow = Row<'forecasts'>;
export type ScoreRow = Row<'scores'>;
export type JobRunRow = Row<'jobRuns'>;

/** How a value goes into an ILP row of each column type; empty symbols and non-finite numbers are left NULL. */
const PUT: Record<ColumnType, (s: Sender, name: string, v: unknown) => unknown> = {
  SYMBOL: (s, name, v) => v !== '' && s.symbol(name, String(v)),
  VARCHAR: (s, name, v) => s.stringColumn(name, String(v)),
  BOOLEAN: (s, name, v) => s.booleanColumn(name, Boolean(v)),
  TIMESTAMP: (s, name, v) => s.timestampColumn(name, Number(v), 'ms'),
  DOUBLE: (s, name, v) => Number.isFinite(v) && s.floatColumn(name, Number(v)),
  INT: (s, name, v) => Number.isFinite(v) && s.intColumn(name, Number(v)),
  LONG: (s, name, v) => Number.isFinite(v) && s.intColumn(name, Number(v)),
};

/** Append `rows` of one table to the sender; null and undefined values are NULL. */
export async function writeRows<R>(sender: Sender, spec: TableSpec<R>, rows: readonly R[]): Promise<void> {
  for (const row of rows) {
    sender.table(spec.name);
    for (const c of spec.columns) {
      const v = row[c.field] as unknown;
      if (v !== null && v !== undefined) PUT[c.type](sender, c.name, v);
    }
    await sender.at(spec.ts(row), 'ms');
  }
}

/** What one poll (or one replayed minute) writes: its rows of each table, sent as one ILP request. */
export type Batch = {
  polls?: Poll[];
  rates?: Rate[];
  currencies?: Currency[];
  rejections?: RejectionRow[];
  sources?: SourceRow[];
  spool?: SpoolStatusRow[];
  progress?: Row<'replayProgress'>[];
};

/** Append a batch's rows: rates, then polls, rejections, currencies, sources, spool status, replay progress. */
export async function writeBatch(sender: Sender, batch: Batch): Promise<void> {
  await writeRows(sender, TABLES.rates, batch.rates ?? []);
  await writeRows(sender, TABLES.polls, batch.polls ?? []);
  await writeRows(sender, TABLES.rejections, batch.rejections ?? []);
  await writeRows(sender, TABLES.currencies, batch.currencies ?? []);
  await writeRows(sender, TABLES.sources, batch.sources ?? []);
  await writeRows(sender, TABLES.spool, batch.spool ?? []);
  await writeRows(sender, TABLES.replayProgress, batch.progress ?? []);
}
