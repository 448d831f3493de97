-- Queries of the ingest benchmark (bench/ingest.ts) that the product itself does not run. Times are bound as
-- ISO strings (an untyped parameter would be taken for a DOUBLE).

-- name: ratesBySource :many
-- How many rows of one minute each source has so far: the pipeline's rows are "queryable" once they are all in.
SELECT source, count() AS n FROM rates WHERE ts = $1::varchar::timestamp GROUP BY source;

-- name: baselineRows :one
SELECT count() AS n FROM rates WHERE ts = $1::varchar::timestamp AND source = $2;

-- name: fetchedAt :many
-- When each source's response of one minute was complete, as the poller recorded it.
SELECT source, fetched_at FROM polls WHERE ts = $1::varchar::timestamp AND poller = $2;

-- name: build :one
SELECT build() AS build;
