-- 0004_job_runs: one row per run of a scheduled job (jobs/), so "what ran, over which window, how it went"
-- is a query in the console, and the scheduler knows after a restart which windows it still owes.
-- ts is the start of the window the run covers, window_end its end (exclusive). A run is written twice,
-- 'running' when it starts and its outcome when it ends; DEDUP UPSERT KEYS(ts, job, started_at) make the
-- second write replace the first and make a re-recorded run idempotent, while a retry of the same window
-- (a later started_at) keeps its own row. A 'running' row that never got an outcome marks a crash.
-- status: running | ok | failed | skipped (windows given up by the catch-up bound, recorded as one span).
CREATE TABLE IF NOT EXISTS job_runs (
  ts TIMESTAMP,
  job SYMBOL,
  window_end TIMESTAMP,
  started_at TIMESTAMP,
  status SYMBOL,
  duration_ms DOUBLE,
  rows_touched LONG,
  error VARCHAR
) TIMESTAMP(ts) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(ts, job, started_at);
