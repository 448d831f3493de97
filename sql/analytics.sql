-- Analytics queries (sql/analytics.ts wraps each in a typed function).
--
-- Timestamps travel as ISO-8601 strings. QuestDB 9.3.4 types a bare `$n::timestamp` bind parameter as DOUBLE
-- (and then fails on the string), so bounds are written `$n::varchar::timestamp`; the planner still turns
-- them into an interval scan of the partitions concerned.
--
-- SAMPLE BY intervals and window frames cannot be bind parameters, so the queries below have slots that
-- sql/analytics.ts fills from a fixed list, one statement per allowed value; user text never reaches SQL.
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

-- Ad hoc SAMPLE BY over the minute rows. `sampled` returns only buckets that hold rows; `sampledFilled` returns
-- every bucket in [$3, $4), empty ones with NULL statistics and a count of 0 (FILL(PREV) or LINEAR would invent
-- rates that were never observed). SAMPLE BY cannot take a bind parameter: its interval slot is filled from the
-- fixed list in sql/analytics.ts, one statement per allowed interval.

-- name: sampled :many
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
SAMPLE BY {interval};

-- name: sampledFilled :many
SELECT ts, min(rate) AS min_rate, max(rate) AS max_rate, avg(rate) AS avg_rate,
  first(rate) AS first_rate, last(rate) AS last_rate, count() AS count
FROM rates
WHERE source = $1 AND currency = $2
SAMPLE BY {interval} FROM $3::varchar::timestamp TO $4::varchar::timestamp FILL(NULL, NULL, NULL, NULL, NULL, 0);

-- Rolling statistics over the minute rows: for each row in [$3, $4), the mean and sample standard deviation of
-- the rates in the window (t - w, t]. The frame is RANGE over the designated timestamp, so a gap in the data
-- leaves fewer rows in the window instead of reaching further back (a ROWS frame would). QuestDB's RANGE bound is
-- inclusive, so the frame is w minus 1 µs (a slot filled from the fixed list of windows in sql/analytics.ts)
-- and the window is half-open like pandas' rolling('30min'): 30 minute rows when complete.
--
-- QuestDB 9.3.4 has no stddev window function, so the variance comes from windowed sums: with d = rate - c,
-- var = (Σd² - (Σd)²/n) / (n - 1). Summing raw rates near 40 000 would cancel catastrophically; c, the mean
-- of all rows the query reads, keeps d small, and ksum (Kahan summation) keeps the sliding sums exact to
-- about 1e-15 relative. std is NULL when the window holds one row.

-- name: rolling :many
WITH raw AS (
  SELECT ts, rate FROM rates
  WHERE source = $1 AND currency = $2
    AND ts > $3::varchar::timestamp - {frame_us} - 1 AND ts < $4::varchar::timestamp
),
ref AS (SELECT avg(rate) AS c FROM raw),
centred AS (SELECT raw.ts, raw.rate, ref.c, raw.rate - ref.c AS d FROM raw CROSS JOIN ref),
win AS (
  SELECT ts, rate, c, count() OVER w AS n, ksum(d) OVER w AS s1, ksum(d * d) OVER w AS s2
  FROM centred
  WINDOW w AS (ORDER BY ts RANGE BETWEEN {frame_us} MICROSECONDS PRECEDING AND CURRENT ROW)
)
SELECT ts, rate, n AS count, c + s1 / n AS mean,
  CASE WHEN n > 1 THEN sqrt(greatest(s2 - s1 * s1 / n, 0.0) / (n - 1)) END AS std
FROM win
WHERE ts >= $3::varchar::timestamp;
