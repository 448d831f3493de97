-- 0002_ingest_health: the poller's spool depth, once a minute per poller and channel, for the health page.
-- (The spool itself lives on the poller's disk; this is how the rest of the system sees it.)
CREATE TABLE IF NOT EXISTS spool_status (
  ts TIMESTAMP,
  poller SYMBOL,
  channel SYMBOL,
  files INT,
  bytes LONG,
  max_bytes LONG,
  full BOOLEAN,
  lost LONG
) TIMESTAMP(ts) PARTITION BY DAY TTL 30 DAYS WAL DEDUP UPSERT KEYS(ts, poller, channel);
