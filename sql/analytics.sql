-- Analytics queries (sql/analytics.ts wraps each in a typed function).
--
-- Timestamps travel as ISO-8601 strings. QuestDB 9.3.4 types a bare `$n::timestamp` bind parameter as DOUBLE
-- (and then fails on the string), so bounds are written `$n::varchar::timestamp`; the planner still turns
-- them into an interval scan of the partitions concerned.
--
-- SAMPLE BY intervals and window frames cannot be bind parameters, so each allowed interval and window has
-- its own query below, chosen by name from a fixed list in sql/analytics.ts; user text never reaches SQL.
-- Buckets are calendar-aligned in UTC (weeks start on Monday); the wrapper aligns `from` down and `to` up to
-- bucket boundaries first, because a SAMPLE BY ... FROM bound is also the alignment origin.

-- name: hourly :many
-- Hourly buckets from the rates_1h materialized view whose start lies in [$3, $4).
SELECT ts, min_rate, max_rate, avg_rate, first_rate, last_rate, count
FROM rates_1h
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp;

-- name: daily :many
-- UTC-day buckets from the rates_1d materialized view whose start lies in [$3, $4).
SELECT ts, min_rate, max_rate, avg_rate, first_rate, last_rate, count
FROM rates_1d
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp;

-- name: trailingDayMeanByHour :many
-- For each hour in [$3, $4): the mean of every minute rate in the 24 hours ending with that hour, computed
-- from rates_1h as sum / count over a time-based frame (a missing hour shortens the window, it never
-- reaches further back). count says how many minute rows the window held.
SELECT ts, mean, count
FROM (
  SELECT ts, sum(sum_rate) OVER w / sum(count) OVER w AS mean, sum(count) OVER w AS count
  FROM rates_1h
  WHERE source = $1 AND currency = $2
    AND ts > dateadd('h', -24, $3::varchar::timestamp) AND ts < $4::varchar::timestamp
  WINDOW w AS (ORDER BY ts RANGE BETWEEN 23 HOUR PRECEDING AND CURRENT ROW)
)
WHERE ts >= $3::varchar::timestamp;

-- Ad hoc SAMPLE BY over the minute rows, one pair of queries per allowed interval: `sampledX` returns only
-- buckets that hold rows; `sampledXFilled` returns every bucket in [$3, $4), empty ones with NULL statistics
-- and a count of 0 (FILL(PREV) or LINEAR would invent rates that were never observed).

-- name: sampled1min :many
-- Buckets of one minute.
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
SAMPLE BY 1m;

-- name: sampled1minFilled :many
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2
SAMPLE BY 1m FROM $3::varchar::timestamp TO $4::varchar::timestamp FILL(NULL, NULL, NULL, NULL, NULL, 0);

-- name: sampled5min :many
-- Buckets of one 5 minutes.
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
SAMPLE BY 5m;

-- name: sampled5minFilled :many
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2
SAMPLE BY 5m FROM $3::varchar::timestamp TO $4::varchar::timestamp FILL(NULL, NULL, NULL, NULL, NULL, 0);

-- name: sampled15min :many
-- Buckets of one 15 minutes.
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
SAMPLE BY 15m;

-- name: sampled15minFilled :many
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2
SAMPLE BY 15m FROM $3::varchar::timestamp TO $4::varchar::timestamp FILL(NULL, NULL, NULL, NULL, NULL, 0);

-- name: sampled30min :many
-- Buckets of one 30 minutes.
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
SAMPLE BY 30m;

-- name: sampled30minFilled :many
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2
SAMPLE BY 30m FROM $3::varchar::timestamp TO $4::varchar::timestamp FILL(NULL, NULL, NULL, NULL, NULL, 0);

-- name: sampled1hour :many
-- Buckets of one hour.
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
SAMPLE BY 1h;

-- name: sampled1hourFilled :many
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2
SAMPLE BY 1h FROM $3::varchar::timestamp TO $4::varchar::timestamp FILL(NULL, NULL, NULL, NULL, NULL, 0);

-- name: sampled4hour :many
-- Buckets of one 4 hours.
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
SAMPLE BY 4h;

-- name: sampled4hourFilled :many
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2
SAMPLE BY 4h FROM $3::varchar::timestamp TO $4::varchar::timestamp FILL(NULL, NULL, NULL, NULL, NULL, 0);

-- name: sampled1day :many
-- Buckets of one UTC day.
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
SAMPLE BY 1d;

-- name: sampled1dayFilled :many
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2
SAMPLE BY 1d FROM $3::varchar::timestamp TO $4::varchar::timestamp FILL(NULL, NULL, NULL, NULL, NULL, 0);

-- name: sampled1week :many
-- Buckets of one ISO week, Monday 00:00 UTC.
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
SAMPLE BY 1w;

-- name: sampled1weekFilled :many
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2
SAMPLE BY 1w FROM $3::varchar::timestamp TO $4::varchar::timestamp FILL(NULL, NULL, NULL, NULL, NULL, 0);

-- name: sampled1month :many
-- Buckets of one calendar month.
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
SAMPLE BY 1M;

-- name: sampled1monthFilled :many
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2
SAMPLE BY 1M FROM $3::varchar::timestamp TO $4::varchar::timestamp FILL(NULL, NULL, NULL, NULL, NULL, 0);

-- Rolling statistics over the minute rows, one query per allowed window: for each row in [$3, $4), the
-- mean and sample standard deviation of the rates in the window (t - w, t]. The frame is RANGE over the
-- designated timestamp, so a gap in the data leaves fewer rows in the window instead of reaching further back
-- (a ROWS frame would). The frame is written in microseconds, w minus 1 µs, because QuestDB's RANGE bound
-- is inclusive and the window is half-open like pandas' rolling('30min'): 30 minute rows when complete.
--
-- QuestDB 9.3.4 has no stddev window function, so the variance comes from windowed sums: with d = rate - c,
-- var = (Σd² - (Σd)²/n) / (n - 1). Summing raw rates near 40 000 would cancel catastrophically; c, the mean
-- of all rows the query reads, keeps d small, and ksum (Kahan summation) keeps the sliding sums exact to
-- about 1e-15 relative. std is NULL when the window holds one row.

-- name: rolling30min :many
-- Window of 30 minutes.
WITH raw AS (
  SELECT ts, rate FROM rates
  WHERE source = $1 AND currency = $2
    AND ts > dateadd('m', -30, $3::varchar::timestamp) AND ts < $4::varchar::timestamp
),
ref AS (SELECT avg(rate) AS c FROM raw),
centred AS (SELECT raw.ts, raw.rate, ref.c, raw.rate - ref.c AS d FROM raw CROSS JOIN ref),
win AS (
  SELECT ts, rate, c, count() OVER w AS n, ksum(d) OVER w AS s1, ksum(d * d) OVER w AS s2
  FROM centred
  WINDOW w AS (ORDER BY ts RANGE BETWEEN 1799999999 MICROSECONDS PRECEDING AND CURRENT ROW)
)
SELECT ts, rate, n AS count, c + s1 / n AS mean,
  CASE WHEN n > 1 THEN sqrt(greatest(s2 - s1 * s1 / n, 0.0) / (n - 1)) END AS std
FROM win
WHERE ts >= $3::varchar::timestamp;

-- name: rolling1hour :many
-- Window of 1 hour.
WITH raw AS (
  SELECT ts, rate FROM rates
  WHERE source = $1 AND currency = $2
    AND ts > dateadd('h', -1, $3::varchar::timestamp) AND ts < $4::varchar::timestamp
),
ref AS (SELECT avg(rate) AS c FROM raw),
centred AS (SELECT raw.ts, raw.rate, ref.c, raw.rate - ref.c AS d FROM raw CROSS JOIN ref),
win AS (
  SELECT ts, rate, c, count() OVER w AS n, ksum(d) OVER w AS s1, ksum(d * d) OVER w AS s2
  FROM centred
  WINDOW w AS (ORDER BY ts RANGE BETWEEN 3599999999 MICROSECONDS PRECEDING AND CURRENT ROW)
)
SELECT ts, rate, n AS count, c + s1 / n AS mean,
  CASE WHEN n > 1 THEN sqrt(greatest(s2 - s1 * s1 / n, 0.0) / (n - 1)) END AS std
FROM win
WHERE ts >= $3::varchar::timestamp;

-- name: rolling1day :many
-- Window of 1 day.
WITH raw AS (
  SELECT ts, rate FROM rates
  WHERE source = $1 AND currency = $2
    AND ts > dateadd('d', -1, $3::varchar::timestamp) AND ts < $4::varchar::timestamp
),
ref AS (SELECT avg(rate) AS c FROM raw),
centred AS (SELECT raw.ts, raw.rate, ref.c, raw.rate - ref.c AS d FROM raw CROSS JOIN ref),
win AS (
  SELECT ts, rate, c, count() OVER w AS n, ksum(d) OVER w AS s1, ksum(d * d) OVER w AS s2
  FROM centred
  WINDOW w AS (ORDER BY ts RANGE BETWEEN 86399999999 MICROSECONDS PRECEDING AND CURRENT ROW)
)
SELECT ts, rate, n AS count, c + s1 / n AS mean,
  CASE WHEN n > 1 THEN sqrt(greatest(s2 - s1 * s1 / n, 0.0) / (n - 1)) END AS std
FROM win
WHERE ts >= $3::varchar::timestamp;
