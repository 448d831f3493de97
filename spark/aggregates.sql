-- The batch layer on Spark: the hourly and daily aggregates of the QuestDB views rates_1h and rates_1d
-- (migrations/0003_aggregate_views.sql) and the dashboard's time-based rolling mean and standard deviation
-- (sql/analytics.sql, query rolling), computed from the curated lake's Parquet instead of from QuestDB.
--
-- Variables (Spark SQL substitution, `${name}`): curated = the folder holding rates/ (a local path or
-- s3a://bucket/curated), out = where the results go (one folder per result), format = parquet, json or csv.
-- Run it with spark/run_sql.py (local mode, spark-submit on a cluster) or `spark-sql -d name=value -f`.
-- Timestamps are UTC: run with spark.sql.session.timeZone=UTC so hours and days are UTC hours and days.

CREATE OR REPLACE TEMPORARY VIEW rates AS
SELECT ts, source, currency, rate FROM parquet.`${curated}/rates`;

-- One row per (hour, source, currency), as rates_1h. first/last are the rates at the hour's first and last
-- timestamp.
CREATE OR REPLACE TEMPORARY VIEW rates_1h AS
SELECT
  date_trunc('HOUR', ts) AS ts,
  source,
  currency,
  min(rate) AS min_rate,
  max(rate) AS max_rate,
  avg(rate) AS avg_rate,
  sum(rate) AS sum_rate,
  min_by(rate, ts) AS first_rate,
  max_by(rate, ts) AS last_rate,
  count(*) AS count
FROM rates
GROUP BY date_trunc('HOUR', ts), source, currency;

-- One row per (UTC day, source, currency), as rates_1d: built on the hourly rows, the mean as sum / count
-- (never a mean of hourly means).
CREATE OR REPLACE TEMPORARY VIEW rates_1d AS
SELECT
  date_trunc('DAY', ts) AS ts,
  source,
  currency,
  min(min_rate) AS min_rate,
  max(max_rate) AS max_rate,
  sum(sum_rate) / sum(count) AS avg_rate,
  sum(sum_rate) AS sum_rate,
  min_by(first_rate, ts) AS first_rate,
  max_by(last_rate, ts) AS last_rate,
  sum(count) AS count
FROM rates_1h
GROUP BY date_trunc('DAY', ts), source, currency;

-- For each minute row: mean and sample standard deviation of the rates in (t - 1 hour, t]. The frame is RANGE
-- over the timestamp in microseconds, so a gap leaves fewer rows in the window instead of reaching further back
-- (a ROWS frame would); one hour minus 1 µs because a RANGE bound is inclusive. std is NULL for one row.
CREATE OR REPLACE TEMPORARY VIEW rates_rolling_1h AS
SELECT ts, source, currency, rate, count(*) OVER w AS count, avg(rate) OVER w AS mean, stddev_samp(rate) OVER w AS std
FROM rates
WINDOW w AS (PARTITION BY source, currency ORDER BY unix_micros(ts) RANGE BETWEEN 3599999999 PRECEDING AND CURRENT ROW);

INSERT OVERWRITE DIRECTORY '${out}/rates_1h' USING ${format} SELECT * FROM rates_1h;
INSERT OVERWRITE DIRECTORY '${out}/rates_1d' USING ${format} SELECT * FROM rates_1d;
INSERT OVERWRITE DIRECTORY '${out}/rates_rolling_1h' USING ${format} SELECT * FROM rates_rolling_1h;
