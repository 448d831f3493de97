-- Queries of the curated lake (lake/). Timestamps travel as ISO-8601 strings, cast `$n::varchar::timestamp`.
--
-- The export statements run on QuestDB's HTTP /exp endpoint (fmt=parquet), which takes no bind parameters: the
-- day's bounds are `{from_us}`/`{to_us}` slots filled with epoch microseconds (integers, never text). Columns are
-- listed explicitly, in table order, so the Parquet schema is the table's.

-- name: exportRates :many
SELECT ts, source, currency, rate, quote_ts FROM rates
WHERE ts >= {from_us}::timestamp AND ts < {to_us}::timestamp;

-- name: exportPolls :many
-- VARCHAR columns go out as STRING (both are Parquet UTF8 strings): QuestDB 9.3.4's Parquet writer turns every
-- VARCHAR of a partition into NULL when all its values there are short (9 bytes or less, stored inline), which
-- an ordinary day of `error` ('' mostly) is. STRING columns are written correctly.
SELECT ts, source, attempt, poller, fetched_at, http_status, latency_ms, bytes, accepted, rejected,
  archive_id::string AS archive_id, reason, error::string AS error
FROM polls
WHERE ts >= {from_us}::timestamp AND ts < {to_us}::timestamp;

-- name: dayCountsRates :many
-- Rows per UTC day in [$1, $2); days without rows are absent.
SELECT ts, count() AS n FROM rates
WHERE ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp
SAMPLE BY 1d ALIGN TO CALENDAR;

-- name: dayCountsPolls :many
SELECT ts, count() AS n FROM polls
WHERE ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp
SAMPLE BY 1d ALIGN TO CALENDAR;

-- name: partitionRowsRates :many
-- Rows per partition, from QuestDB's metadata (no scan): how changed days are found over the whole history.
-- Both tables are PARTITION BY DAY; a partition split by out-of-order writes is named after its day too.
SELECT name, numRows FROM table_partitions('rates');

-- name: partitionRowsPolls :many
SELECT name, numRows FROM table_partitions('polls');

-- name: exportedDays :many
-- The latest export of every day, per table.
SELECT ts, tbl, rows_exported FROM lake_exports;
