-- Queries of backtests (forecast/backtest-cli.ts and the backtest job).

-- name: seriesRates :many
-- One series' rates in [from, to), oldest first: the backtest's target or a related series.
SELECT ts, rate FROM rates
WHERE source = $1 AND currency = $2 AND ts >= $3 AND ts < $4
ORDER BY ts;

-- name: seriesWithData :many
-- Every series with at least $3 rates in [from, to): what the daily backtest job covers.
SELECT source, currency, n FROM (
  SELECT source, currency, count() n FROM rates WHERE ts >= $1 AND ts < $2
) WHERE n >= $3
ORDER BY source, currency;

-- name: latestDailyBacktests :many
-- The newest daily-run row of each series, model and horizon with ts in [from, to): what the promotion rule reads.
SELECT ts, source, currency, model, from_ts, to_ts, rmse_ratio, dm_stat, dm_p, coverage90 FROM backtests
WHERE run_id LIKE 'daily-%' AND ts >= $1 AND ts < $2
LATEST ON ts PARTITION BY source, currency, model, horizon;
