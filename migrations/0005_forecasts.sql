-- 0005_forecasts: what the forecaster projects, how it scores live, and what backtests found.
-- Every forecast is kept beside its persistence baseline (model = 'persistence'), so skill is always a
-- comparison made on the same minutes. Safe to re-run: CREATE ... IF NOT EXISTS.

-- One row per (target minute, horizon, source, currency, model): made at ts - horizon minutes, from the hour
-- of data before it. Bounds are the central 50% and 90% predictive intervals.
CREATE TABLE IF NOT EXISTS forecasts (
  ts TIMESTAMP,
  made_at TIMESTAMP,
  horizon INT,
  source SYMBOL,
  currency SYMBOL CAPACITY 2048,
  model SYMBOL,
  mean DOUBLE,
  lo50 DOUBLE,
  hi50 DOUBLE,
  lo90 DOUBLE,
  hi90 DOUBLE,
  points INT,
  fit_ms DOUBLE
) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, horizon, source, currency, model);

-- Live scores over rolling spans ('1h', '24h', '7d') ending at ts: matured forecasts joined to the actual rate of
-- their target minute. skill = 1 - rmse / rmse of persistence on the same minutes.
CREATE TABLE IF NOT EXISTS forecast_scores (
  ts TIMESTAMP,
  span SYMBOL,
  source SYMBOL,
  currency SYMBOL CAPACITY 2048,
  model SYMBOL,
  horizon INT,
  n LONG,
  rmse DOUBLE,
  mae DOUBLE,
  skill DOUBLE,
  coverage50 DOUBLE,
  coverage90 DOUBLE,
  width90 DOUBLE
) TIMESTAMP(ts) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(ts, span, source, currency, model, horizon);

-- One row per (backtest run, series, model, horizon): out-of-sample comparison against persistence on rolling
-- 60-minute windows, with a Diebold-Mariano statistic (positive = worse than persistence).
CREATE TABLE IF NOT EXISTS backtests (
  ts TIMESTAMP,
  run_id SYMBOL,
  source SYMBOL,
  currency SYMBOL,
  model SYMBOL,
  horizon INT,
  from_ts TIMESTAMP,
  to_ts TIMESTAMP,
  origins LONG,
  rmse DOUBLE,
  rmse_ratio DOUBLE,
  dm_stat DOUBLE,
  dm_p DOUBLE,
  coverage50 DOUBLE,
  coverage90 DOUBLE,
  width90 DOUBLE,
  fit_ms DOUBLE
) TIMESTAMP(ts) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(ts, run_id, source, currency, model, horizon);
