-- 0003_aggregate_views: hourly and daily aggregates per (source, currency), kept current by QuestDB itself.
-- Materialized views refresh incrementally after every commit to their base (only the buckets a commit
-- touched are recomputed), so the dashboard, the jobs and the console read a few hundred rows instead of
-- scanning minute data. Buckets are calendar-aligned in UTC. Safe to re-run: CREATE ... IF NOT EXISTS.

-- One row per (hour, source, currency). sum_rate and count are kept beside avg_rate so any coarser rollup
-- can compute an exact mean as sum(sum_rate) / sum(count): a mean of hourly means is wrong when hours hold
-- different numbers of rows (gaps, a source that started mid-hour).
CREATE MATERIALIZED VIEW IF NOT EXISTS rates_1h AS (
  SELECT
    ts,
    source,
    currency,
    min(rate) AS min_rate,
    max(rate) AS max_rate,
    avg(rate) AS avg_rate,
    sum(rate) AS sum_rate,
    first(rate) AS first_rate,
    last(rate) AS last_rate,
    count() AS count
  FROM rates
  SAMPLE BY 1h
) PARTITION BY MONTH;

-- One row per (UTC day, source, currency), built on rates_1h rather than on the minute rows: a refresh
-- re-reads at most 24 hourly rows per key instead of 1440 minutes. Every column stays exact: min of mins,
-- max of maxes, first of the day's first hour, last of its last hour, counts summed, and the mean as
-- sum / count (never a mean of means).
CREATE MATERIALIZED VIEW IF NOT EXISTS rates_1d AS (
  SELECT
    ts,
    source,
    currency,
    min(min_rate) AS min_rate,
    max(max_rate) AS max_rate,
    sum(sum_rate) / sum(count) AS avg_rate,
    sum(sum_rate) AS sum_rate,
    first(first_rate) AS first_rate,
    last(last_rate) AS last_rate,
    sum(count) AS count
  FROM rates_1h
  SAMPLE BY 1d
) PARTITION BY YEAR;
