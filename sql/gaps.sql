-- Queries of the gap-repair job (jobs/gap-repair.ts). Timestamps travel as ISO-8601 strings (see replay.sql).

-- name: seriesSeen :many
-- The (source, currency) series with a row in [$1, $2): the ones whose minutes are expected.
SELECT DISTINCT source, currency FROM rates WHERE ts >= $1 AND ts < $2;

-- name: seriesCounts :many
-- Rows per series in the window [$1, $2): a series with one per minute has no gap and is not looked at further.
SELECT source, currency, count() AS n FROM rates WHERE ts >= $1 AND ts < $2 GROUP BY source, currency;

-- name: sourceRows :many
-- The minutes a source has rows for in [$2, $3), to set against the expected grid.
SELECT ts, currency FROM rates WHERE source = $1 AND ts >= $2 AND ts < $3;

-- name: recordedGaps :many
-- Gaps already recorded in [$1, $2): final ones are never searched again, young missing ones only when due.
SELECT ts, source, currency, status, final, found_at FROM gaps WHERE ts >= $1 AND ts < $2;

-- name: dueGaps :many
-- Missing minutes found while a late arrival was still possible, now older than the arrival slack ($1): each is
-- searched once more, then final. Also, at any age, those whose minute has a rates row by now (`filled`: written
-- since by other means, such as a venue's candle page), to be closed. The ASOF JOIN binary-searches rates.
SELECT g.ts ts, g.source source, g.currency currency, g.status status, g.final final, g.found_at found_at,
  r.ts = g.ts filled
FROM (SELECT ts, source, currency, status, final, found_at FROM gaps WHERE final = false) g
ASOF JOIN rates r ON (source, currency) TOLERANCE 1m
WHERE g.ts < $1 OR r.ts = g.ts;
