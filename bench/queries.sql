-- Queries of the query benchmark (bench/queries.ts) that the product itself does not run.

-- name: countRows :one
SELECT count() AS n FROM rates WHERE source = $1;

-- name: walTables :many
SELECT name, suspended, writerTxn, sequencerTxn FROM wal_tables();

-- name: build :one
SELECT build() AS build;

-- name: trailingDayMeanByHourRaw :many
-- The baseline of analytics.trailingDayMeanByHour: the same trailing 24-hour mean at each hour, from the
-- minute rows through SAMPLE BY instead of from rates_1h.
SELECT ts, mean, count
FROM (
  SELECT ts, sum(s) OVER w / sum(n) OVER w AS mean, sum(n) OVER w AS count
  FROM (
    SELECT ts, sum(rate) AS s, count() AS n
    FROM rates
    WHERE source = $1 AND currency = $2
      AND ts > dateadd('h', -24, $3::varchar::timestamp) AND ts < $4::varchar::timestamp
    SAMPLE BY 1h
  )
  WINDOW w AS (ORDER BY ts RANGE BETWEEN 23 HOUR PRECEDING AND CURRENT ROW)
)
WHERE ts >= $3::varchar::timestamp;
