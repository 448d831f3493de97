-- The dashboard's own queries (sql/web.ts wraps each in a typed function; web/ never holds SQL).
--
-- Timestamps travel as ISO-8601 strings written `$n::varchar::timestamp` (a bare `$n::timestamp` bind is typed
-- DOUBLE by QuestDB 9.3.4). SAMPLE BY intervals cannot be bind parameters: the history queries take theirs as a
-- {slot} that sql/web.ts fills from its fixed list.

-- name: ping :one
-- Is QuestDB answering SQL at all (the health page, and the banner shown while it is not).
SELECT 1 AS ok;

-- name: tableNames :many
-- Tables that exist: the health page reads `gaps` and `rejections` only once their migrations have created them.
SELECT table_name FROM tables();

-- name: seriesKeys :many
-- Every (source, currency) with data: the daily view, plus raw rows since $1 that the view may not hold yet
-- (it refreshes asynchronously after each commit).
SELECT DISTINCT source, currency FROM rates_1d
UNION
SELECT DISTINCT source, currency FROM rates WHERE ts >= $1::varchar::timestamp;

-- name: sourceIds :many
-- Sources the project knows (seeded by migration 0001, upserted by the poller and import-csv).
SELECT DISTINCT id FROM sources;

-- name: currencyCodes :many
-- Currency codes ever seen.
SELECT DISTINCT code FROM currencies;

-- History: buckets of the chosen interval, each with its row count, mean, M2 (the sum of squared deviations
-- from the bucket mean, for combining buckets exactly into rolling windows), min, max and last rate.
-- One-minute buckets are the minute rows themselves (minuteRates). Up to 30-minute buckets read the minute rows:
-- M2 = var_samp * (n - 1), exact. From 1 hour up they read the rates_1h view, whose rows carry no spread inside
-- the hour: M2 there is the spread of the hourly means, weighted by their counts (centred on the mean of the range
-- for precision, as sql/analytics.sql does). {interval} is one of sql/web.ts's fixed intervals.

-- name: historyRaw :many
SELECT ts, count() AS n, avg(rate) AS mean, coalesce(var_samp(rate) * (count() - 1), 0.0) AS m2,
  min(rate) AS min_rate, max(rate) AS max_rate, last(rate) AS last_rate
FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
SAMPLE BY {interval};

-- name: historyView :many
WITH hours AS (
  SELECT ts, count, sum_rate, avg_rate, min_rate, max_rate, last_rate FROM rates_1h
  WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp
),
ref AS (SELECT sum(sum_rate) / sum(count) AS c FROM hours),
centred AS (
  SELECT hours.ts, hours.count, avg_rate - ref.c AS d, ref.c, min_rate, max_rate, last_rate
  FROM hours CROSS JOIN ref
)
SELECT ts, sum(count) AS n, first(c) + sum(d * count) / sum(count) AS mean,
  greatest(sum(d * d * count) - sum(d * count) * sum(d * count) / sum(count), 0.0) AS m2,
  min(min_rate) AS min_rate, max(max_rate) AS max_rate, last(last_rate) AS last_rate
FROM centred
SAMPLE BY {interval};

-- name: minuteRates :many
-- The minute rows of one series in [$3, $4) (DEDUP keeps one per minute): the one-minute history, and the
-- forecast page's last hour.
SELECT ts, rate FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp AND ts < $4::varchar::timestamp;

-- name: latestRates :many
-- The newest rate of every currency of a source, since $2.
SELECT ts, currency, rate FROM rates
WHERE source = $1 AND ts >= $2::varchar::timestamp
LATEST ON ts PARTITION BY currency;

-- name: latestForecasts :many
-- The newest forecast of each model for 1, 5 and 10 minutes ahead, targets since $3; gp-icm's with its lead.
SELECT ts, made_at, horizon, model, mean, lo50, hi50, lo90, hi90, points, lead_series, lead_minutes
FROM forecasts
WHERE source = $1 AND currency = $2 AND horizon IN (1, 5, 10) AND ts >= $3::varchar::timestamp
LATEST ON ts PARTITION BY horizon, model;

-- name: latestScores :many
-- The newest live score of each model, horizon and span, since $3.
SELECT ts, span, model, horizon, n, rmse, mae, skill, coverage50, coverage90, width90
FROM forecast_scores
WHERE source = $1 AND currency = $2 AND ts >= $3::varchar::timestamp
LATEST ON ts PARTITION BY span, model, horizon;

-- name: lastSuccessfulPolls :many
-- Per source, the newest poll since $1 that stored at least one rate.
SELECT ts, source, fetched_at, latency_ms, accepted
FROM polls
WHERE accepted > 0 AND ts >= $1::varchar::timestamp
LATEST ON ts PARTITION BY source;

-- name: lastPolls :many
-- Per source, the newest poll attempt since $1, whatever its outcome.
SELECT ts, source, attempt, http_status, reason, error
FROM polls
WHERE ts >= $1::varchar::timestamp
LATEST ON ts PARTITION BY source;

-- name: rejectionsByReason :many
-- Rejections since $1 by source and reason: whole polls (a failed call, a bad body) and single values not turned
-- into rates, filtered ones (self_quote) included. Run only when the table exists.
SELECT source, reason, count() AS n, max(ts) AS last_ts
FROM rejections
WHERE ts >= $1::varchar::timestamp
GROUP BY source, reason
ORDER BY n DESC
LIMIT 50;

-- name: spoolDepth :many
-- The newest spool depth of every poller and channel since $1.
SELECT ts, poller, channel, files, bytes, max_bytes, full, lost
FROM spool_status
WHERE ts >= $1::varchar::timestamp
LATEST ON ts PARTITION BY poller, channel;

-- name: recentJobRuns :many
-- The 20 newest job runs whose window starts since $1.
SELECT ts, job, window_end, started_at, status, duration_ms, rows_touched, error
FROM job_runs
WHERE ts >= $1::varchar::timestamp
ORDER BY started_at DESC
LIMIT 20;

-- name: jobRunCounts :many
-- Runs per job and outcome since $1.
SELECT job, status, count() AS n, max(started_at) AS last_started
FROM job_runs
WHERE ts >= $1::varchar::timestamp
GROUP BY job, status
ORDER BY job, status;

-- name: gapCounts :many
-- Gaps found since $1, by source and status (repaired | missing). Run only when the table exists.
SELECT source, status, count() AS n, max(ts) AS last_ts
FROM gaps
WHERE ts >= $1::varchar::timestamp
GROUP BY source, status
ORDER BY source, status;
