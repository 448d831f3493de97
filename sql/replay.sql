-- Queries of the replay from the raw archive (ingest/replay/), shared by `replay-s3` and the gap-repair job, and of
-- the candles backfill.
-- Timestamps travel as ISO-8601 strings: compared with a column (`ts >= $1`) they take its type; elsewhere they
-- are cast `$n::varchar::timestamp` (QuestDB 9.3.4 types a bare `$n::timestamp` parameter as DOUBLE).

-- name: seedPrevious :many
-- The jump check's memory at the first minute replayed: the last accepted rate per (source, currency) within
-- the look-back before it.
SELECT ts, source, currency, rate FROM rates
WHERE ts >= $1 AND ts < $2
LATEST ON ts PARTITION BY source, currency;

-- name: currenciesFirstSeen :many
SELECT code, first_seen FROM currencies;

-- name: rateKeys :many
-- The rows already stored in a span of minutes: what a replay without --force leaves alone.
SELECT ts, source, currency FROM rates WHERE ts >= $1 AND ts < $2;

-- name: pollKeys :many
SELECT ts, source, attempt, poller FROM polls WHERE ts >= $1 AND ts < $2;

-- name: seriesMinutes :many
-- The minutes of one series stored in a span: the pages a candles backfill or warm-up need not fetch again.
SELECT ts FROM rates WHERE source = $1 AND currency = $2 AND ts >= $3 AND ts < $4;

-- name: loadProgress :many
SELECT done_until, status, state FROM replay_progress WHERE run_key = $1;
