-- 0007_lake_exports: what the curated lake in S3 holds (lake/, jobs/lake-export.ts). One row per (UTC day,
-- table) exported: the row count QuestDB had for that day when it was written, the object key (empty when the
-- day had no rows and nothing was written) and when. DEDUP UPSERT KEYS(ts, tbl) keep the latest export only, so
-- "which days changed since they were exported" is a comparison of today's counts with these.
-- Safe to re-run: CREATE ... IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS lake_exports (
  ts TIMESTAMP,
  tbl SYMBOL,
  rows_exported LONG,
  object_key VARCHAR,
  bytes LONG,
  exported_at TIMESTAMP
) TIMESTAMP(ts) PARTITION BY YEAR WAL DEDUP UPSERT KEYS(ts, tbl);
