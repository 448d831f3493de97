/**
 * The schema edge: for every table the product writes, its row type, its columns and its DEDUP key. Every ILP
 * row goes through `writeRows`; test/integration/tables.test.ts checks these specs against the migrations'
 * DDL as applied to QuestDB, so the two cannot drift.
 */
import type { Sender } from '@questdb/nodejs-client';
import type { RejectionReason } from '../common/types.ts';

/** QuestDB column types, as `SHOW COLUMNS` names them. */
export type ColumnType = 'SYMBOL' | 'DOUBLE' | 'INT' | 'LONG' | 'VARCHAR' | 'BOOLEAN' | 'TIMESTAMP';

type Column<R> = { name: string; type: ColumnType; field: keyof R & string };

export type TableSpec<R> = {
  name: string;
  /** DEDUP UPSERT KEYS, designated timestamp `ts` first. */
  keys: readonly string[];
  /** Every column but `ts`, symbols first (ILP requires them before any other column). */
  columns: readonly Column<R>[];
  /** The row's designated timestamp, epoch ms. */
  ts: (row: R) => number;
};

/** A spec from `[column, type, field]` triples; symbols are moved first. */
function table<R>(
  name: string,
  keys: readonly string[],
  columns: readonly [string, ColumnType, keyof R & string][],
  ts: (row: R) => number,
): TableSpec<R> {
  const cols = columns.map(([n, type, field]) => ({ name: n, type, field }));
  const ordered = [...cols.filter((c) => c.type === 'SYMBOL'), ...cols.filter((c) => c.type !== 'SYMBOL')];
  return { name, keys, columns: ordered, ts };
}

/** A row as read back over PG wire: the fields in `Times` arrive as Dates. */
export type Stored<R, Times extends keyof R> = Omit<R, Times> & { [K in Times]: Date };

/** Dimension rows share one constant designated timestamp, so DEDUP makes their code or id the key. */
export const DIMENSION_TS = 0;

/** One normalized observation. */
export type Rate = {
  /** Observation minute (the poll's scheduled minute), epoch ms UTC. */
  ts: number;
  source: string;
  currency: string;
  rate: number;
  /** The source's own quote time, epoch ms, when it reports one. */
  quoteTs: number | null;
};

/** One API call (one attempt). */
export type Poll = {
  /** Scheduled minute, epoch ms UTC. */
  ts: number;
  source: string;
  attempt: number;
  /** POLLER_ID of the process that made the call: two pollers' calls are two rows. */
  poller: string;
  fetchedAt: number;
  httpStatus: number;
  latencyMs: number;
  bytes: number;
  accepted: number;
  rejected: number;
  /** Id of the raw envelope in the archive: the lineage from rows back to S3. */
  archiveId: string;
  /** The first rejection reason that is not filtered (REJECTION_REASONS), empty when nothing was rejected. */
  reason: RejectionReason | '';
  /** Every rejection (not filtered) with its detail, empty when nothing was rejected. */
  error: string;
};

/** One value (or, with `currency` null, the whole poll) not turned into a rate, with its reason. */
export type RejectionRow = {
  /** The poll's scheduled minute, source, attempt and poller: the `polls` row it belongs to. */
  ts: number;
  source: string;
  attempt: number;
  poller: string;
  /** A valid currency code, or null when the whole poll is at fault or the payload key is not a code. */
  currency: string | null;
  reason: RejectionReason;
  detail: string;
};

/** A currency code seen for the first time. */
export type Currency = {
  code: string;
  name: string;
  kind: 'fiat' | 'crypto' | 'unknown';
  firstSeen: number;
  firstSource: string;
};

/** A rate API the poller knows. */
export type SourceRow = { id: string; kind: string; urlTemplate: string; description: string };

/** A poller's spool at one minute. */
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

/** One model's forecast of one series, `horizon` minutes after `madeAt`; `ts` is the target minute. */
export type ForecastRow = {
  ts: number;
  madeAt: number;
  horizon: number;
  source: string;
  currency: string;
  model: string;
  mean: number;
  lo50: number;
  hi50: number;
  lo90: number;
  hi90: number;
  points: number;
  fitMs: number;
};

/** Live skill of one model on one series over one span ending at `ts`. */
export type ScoreRow = {
  ts: number;
  span: string;
  source: string;
  currency: string;
  model: string;
  horizon: number;
  n: number;
  rmse: number;
  mae: number;
  skill: number | null;
  coverage50: number;
  coverage90: number;
  width90: number;
};

/** One model's backtest of one series at one horizon; non-finite statistics are stored as NULL. */
export type BacktestRow = {
  ts: number;
  runId: string;
  source: string;
  currency: string;
  model: string;
  horizon: number;
  fromTs: number;
  toTs: number;
  origins: number;
  rmse: number;
  rmseRatio: number;
  dmStat: number;
  dmP: number;
  coverage50: number;
  coverage90: number;
  width90: number;
  fitMs: number;
};

/** A missing minute of one series and what the archive said about it. */
export type GapRow = {
  ts: number;
  source: string;
  currency: string;
  status: string;
  final: boolean;
  reason: string;
  foundAt: number;
  checkedAt: number;
};

/** One run of a job over one window; recording the same `startedAt` again replaces it. */
export type JobRunRow = {
  ts: number;
  job: string;
  windowEnd: number;
  startedAt: number;
  status: string;
  durationMs: number;
  rowsTouched: number;
  error: string;
};

/** Where a replay run has got to, so a re-run resumes. */
export type ReplayProgressRow = {
  /** The start of the run's range. */
  ts: number;
  runKey: string;
  rangeTo: number;
  doneUntil: number;
  status: string;
  lastKey: string;
  args: string;
  state: string;
  updatedAt: number;
};

/** One export of one UTC day of one table to the curated lake; the latest replaces the day's record. */
export type LakeExportRow = {
  ts: number;
  table: string;
  rows: number;
  /** Object key written, empty when the day had no rows. */
  key: string;
  bytes: number;
  exportedAt: number;
};

export const TABLES = {
  rates: table<Rate>(
    'rates',
    ['ts', 'source', 'currency'],
    [
      ['source', 'SYMBOL', 'source'],
      ['currency', 'SYMBOL', 'currency'],
      ['rate', 'DOUBLE', 'rate'],
      ['quote_ts', 'TIMESTAMP', 'quoteTs'],
    ],
    (r) => r.ts,
  ),
  polls: table<Poll>(
    'polls',
    ['ts', 'source', 'attempt', 'poller'],
    [
      ['source', 'SYMBOL', 'source'],
      ['poller', 'SYMBOL', 'poller'],
      ['reason', 'SYMBOL', 'reason'],
      ['attempt', 'INT', 'attempt'],
      ['fetched_at', 'TIMESTAMP', 'fetchedAt'],
      ['http_status', 'INT', 'httpStatus'],
      ['latency_ms', 'DOUBLE', 'latencyMs'],
      ['bytes', 'LONG', 'bytes'],
      ['accepted', 'INT', 'accepted'],
      ['rejected', 'INT', 'rejected'],
      ['archive_id', 'VARCHAR', 'archiveId'],
      ['error', 'VARCHAR', 'error'],
    ],
    (p) => p.ts,
  ),
  rejections: table<RejectionRow>(
    'rejections',
    ['ts', 'source', 'attempt', 'poller', 'currency', 'reason'],
    [
      ['source', 'SYMBOL', 'source'],
      ['poller', 'SYMBOL', 'poller'],
      ['currency', 'SYMBOL', 'currency'],
      ['reason', 'SYMBOL', 'reason'],
      ['attempt', 'INT', 'attempt'],
      ['detail', 'VARCHAR', 'detail'],
    ],
    (r) => r.ts,
  ),
  currencies: table<Currency>(
    'currencies',
    ['ts', 'code'],
    [
      ['code', 'SYMBOL', 'code'],
      ['kind', 'SYMBOL', 'kind'],
      ['first_source', 'SYMBOL', 'firstSource'],
      ['name', 'VARCHAR', 'name'],
      ['first_seen', 'TIMESTAMP', 'firstSeen'],
    ],
    () => DIMENSION_TS,
  ),
  sources: table<SourceRow>(
    'sources',
    ['ts', 'id'],
    [
      ['id', 'SYMBOL', 'id'],
      ['kind', 'SYMBOL', 'kind'],
      ['url_template', 'VARCHAR', 'urlTemplate'],
      ['description', 'VARCHAR', 'description'],
    ],
    () => DIMENSION_TS,
  ),
  spool: table<SpoolStatusRow>(
    'spool_status',
    ['ts', 'poller', 'channel'],
    [
      ['poller', 'SYMBOL', 'poller'],
      ['channel', 'SYMBOL', 'channel'],
      ['files', 'INT', 'files'],
      ['bytes', 'LONG', 'bytes'],
      ['max_bytes', 'LONG', 'maxBytes'],
      ['full', 'BOOLEAN', 'full'],
      ['lost', 'LONG', 'lost'],
    ],
    (s) => s.ts,
  ),
  forecasts: table<ForecastRow>(
    'forecasts',
    ['ts', 'horizon', 'source', 'currency', 'model'],
    [
      ['source', 'SYMBOL', 'source'],
      ['currency', 'SYMBOL', 'currency'],
      ['model', 'SYMBOL', 'model'],
      ['made_at', 'TIMESTAMP', 'madeAt'],
      ['horizon', 'INT', 'horizon'],
      ['mean', 'DOUBLE', 'mean'],
      ['lo50', 'DOUBLE', 'lo50'],
      ['hi50', 'DOUBLE', 'hi50'],
      ['lo90', 'DOUBLE', 'lo90'],
      ['hi90', 'DOUBLE', 'hi90'],
      ['points', 'INT', 'points'],
      ['fit_ms', 'DOUBLE', 'fitMs'],
    ],
    (f) => f.ts,
  ),
  scores: table<ScoreRow>(
    'forecast_scores',
    ['ts', 'span', 'source', 'currency', 'model', 'horizon'],
    [
      ['span', 'SYMBOL', 'span'],
      ['source', 'SYMBOL', 'source'],
      ['currency', 'SYMBOL', 'currency'],
      ['model', 'SYMBOL', 'model'],
      ['horizon', 'INT', 'horizon'],
      ['n', 'LONG', 'n'],
      ['rmse', 'DOUBLE', 'rmse'],
      ['mae', 'DOUBLE', 'mae'],
      ['skill', 'DOUBLE', 'skill'],
      ['coverage50', 'DOUBLE', 'coverage50'],
      ['coverage90', 'DOUBLE', 'coverage90'],
      ['width90', 'DOUBLE', 'width90'],
    ],
    (s) => s.ts,
  ),
  backtests: table<BacktestRow>(
    'backtests',
    ['ts', 'run_id', 'source', 'currency', 'model', 'horizon'],
    [
      ['run_id', 'SYMBOL', 'runId'],
      ['source', 'SYMBOL', 'source'],
      ['currency', 'SYMBOL', 'currency'],
      ['model', 'SYMBOL', 'model'],
      ['horizon', 'INT', 'horizon'],
      ['from_ts', 'TIMESTAMP', 'fromTs'],
      ['to_ts', 'TIMESTAMP', 'toTs'],
      ['origins', 'LONG', 'origins'],
      ['rmse', 'DOUBLE', 'rmse'],
      ['rmse_ratio', 'DOUBLE', 'rmseRatio'],
      ['dm_stat', 'DOUBLE', 'dmStat'],
      ['dm_p', 'DOUBLE', 'dmP'],
      ['coverage50', 'DOUBLE', 'coverage50'],
      ['coverage90', 'DOUBLE', 'coverage90'],
      ['width90', 'DOUBLE', 'width90'],
      ['fit_ms', 'DOUBLE', 'fitMs'],
    ],
    (b) => b.ts,
  ),
  gaps: table<GapRow>(
    'gaps',
    ['ts', 'source', 'currency'],
    [
      ['source', 'SYMBOL', 'source'],
      ['currency', 'SYMBOL', 'currency'],
      ['status', 'SYMBOL', 'status'],
      ['final', 'BOOLEAN', 'final'],
      ['reason', 'VARCHAR', 'reason'],
      ['found_at', 'TIMESTAMP', 'foundAt'],
      ['checked_at', 'TIMESTAMP', 'checkedAt'],
    ],
    (g) => g.ts,
  ),
  jobRuns: table<JobRunRow>(
    'job_runs',
    ['ts', 'job', 'started_at'],
    [
      ['job', 'SYMBOL', 'job'],
      ['status', 'SYMBOL', 'status'],
      ['window_end', 'TIMESTAMP', 'windowEnd'],
      ['started_at', 'TIMESTAMP', 'startedAt'],
      ['duration_ms', 'DOUBLE', 'durationMs'],
      ['rows_touched', 'LONG', 'rowsTouched'],
      ['error', 'VARCHAR', 'error'],
    ],
    (j) => j.ts,
  ),
  replayProgress: table<ReplayProgressRow>(
    'replay_progress',
    ['ts', 'run_key'],
    [
      ['run_key', 'SYMBOL', 'runKey'],
      ['status', 'SYMBOL', 'status'],
      ['range_to', 'TIMESTAMP', 'rangeTo'],
      ['done_until', 'TIMESTAMP', 'doneUntil'],
      ['last_key', 'VARCHAR', 'lastKey'],
      ['args', 'VARCHAR', 'args'],
      ['state', 'VARCHAR', 'state'],
      ['updated_at', 'TIMESTAMP', 'updatedAt'],
    ],
    (r) => r.ts,
  ),
  lakeExports: table<LakeExportRow>(
    'lake_exports',
    ['ts', 'tbl'],
    [
      ['tbl', 'SYMBOL', 'table'],
      ['rows_exported', 'LONG', 'rows'],
      ['object_key', 'VARCHAR', 'key'],
      ['bytes', 'LONG', 'bytes'],
      ['exported_at', 'TIMESTAMP', 'exportedAt'],
    ],
    (e) => e.ts,
  ),
} as const;

/** Append `rows` of one table to the sender; null, undefined, empty symbols and non-finite numbers are NULL. */
export async function writeRows<R>(sender: Sender, spec: TableSpec<R>, rows: readonly R[]): Promise<void> {
  for (const row of rows) {
    sender.table(spec.name);
    for (const c of spec.columns) {
      const v = row[c.field] as unknown;
      if (v === null || v === undefined) continue;
      switch (c.type) {
        case 'SYMBOL':
          if (v !== '') sender.symbol(c.name, String(v));
          break;
        case 'VARCHAR':
          sender.stringColumn(c.name, String(v));
          break;
        case 'BOOLEAN':
          sender.booleanColumn(c.name, Boolean(v));
          break;
        case 'TIMESTAMP':
          sender.timestampColumn(c.name, Number(v), 'ms');
          break;
        case 'DOUBLE':
          if (Number.isFinite(v)) sender.floatColumn(c.name, Number(v));
          break;
        case 'INT':
        case 'LONG':
          if (Number.isFinite(v)) sender.intColumn(c.name, Number(v));
          break;
      }
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
  progress?: ReplayProgressRow[];
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
