-- Queries of the batch scheduler (jobs/). Timestamps travel as ISO-8601 strings, cast `$n::varchar::timestamp`
-- (QuestDB 9.3.4 types a bare `$n::timestamp` parameter as DOUBLE).

-- name: doneUntil :many
-- Per job, the end of the newest window it has finished (or given up as skipped): where catch-up resumes.
SELECT job, max(window_end) AS done_until FROM job_runs WHERE status IN ('ok', 'skipped') GROUP BY job;

-- name: viewStates :many
-- Every materialized view with its refresh state; a view is current when it has caught up with the
-- transaction its base table has reached.
SELECT view_name, view_status, refresh_base_table_txn, base_table_txn, last_refresh_finish_timestamp,
  invalidation_reason
FROM materialized_views();

-- REFRESH takes no bind parameter for the view name: one statement per view and kind. Both are asynchronous:
-- QuestDB queues the refresh and the caller watches viewStates. INCREMENTAL catches up with the base table's
-- new transactions; FULL rebuilds an invalid view from scratch.

-- name: refreshRates1hIncremental :exec
REFRESH MATERIALIZED VIEW rates_1h INCREMENTAL;

-- name: refreshRates1hFull :exec
REFRESH MATERIALIZED VIEW rates_1h FULL;

-- name: refreshRates1dIncremental :exec
REFRESH MATERIALIZED VIEW rates_1d INCREMENTAL;

-- name: refreshRates1dFull :exec
REFRESH MATERIALIZED VIEW rates_1d FULL;
