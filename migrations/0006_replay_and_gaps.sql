-- 0006_replay_and_gaps: bookkeeping of rebuilding from the raw archive in S3.
-- Safe to re-run: CREATE ... IF NOT EXISTS.

-- Where a `replay-s3` run has got to, so a killed run continues instead of starting over. One row per run
-- (run_key: a hash of its range, mode, sources and slack; ts: the first minute of its range), replaced after
-- every batch QuestDB has acknowledged: every minute before done_until is written. state holds the jump
-- check's memory and the counters at that point (JSON), so the resumed run decides exactly as an uninterrupted
-- one would. status: running | done (a done run is simply run again when asked).
CREATE TABLE IF NOT EXISTS replay_progress (
  ts TIMESTAMP,
  run_key SYMBOL,
  range_to TIMESTAMP,
  done_until TIMESTAMP,
  status SYMBOL,
  last_key VARCHAR,
  args VARCHAR,
  state VARCHAR,
  updated_at TIMESTAMP
) TIMESTAMP(ts) PARTITION BY YEAR WAL DEDUP UPSERT KEYS(ts, run_key);

-- Minutes the gap-repair job found without a rate for a (source, currency) it expected, and what became of
-- them. status: repaired (the archive had the response; the row is written), rejected (the archive has the
-- response but it gives no accepted rate for this currency: a failed call, a code absent, a value refused —
-- reason says which), missing (the archive has no response for that source and minute). final = false marks a
-- missing minute still young enough for a late arrival (a poller's spool re-sending after an outage): it is
-- searched once more after the archive's arrival slack, then final. found_at: first found; checked_at: last
-- searched.
CREATE TABLE IF NOT EXISTS gaps (
  ts TIMESTAMP,
  source SYMBOL,
  currency SYMBOL CAPACITY 2048,
  status SYMBOL,
  final BOOLEAN,
  reason VARCHAR,
  found_at TIMESTAMP,
  checked_at TIMESTAMP
) TIMESTAMP(ts) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(ts, source, currency);
