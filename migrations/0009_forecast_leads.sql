-- 0009_forecast_leads: the related series a gp-icm forecast used and the minutes it leads the target by; NULL for
-- other models and when training chose none. Safe to re-run: ADD COLUMN IF NOT EXISTS.
ALTER TABLE forecasts ADD COLUMN IF NOT EXISTS lead_series SYMBOL;
ALTER TABLE forecasts ADD COLUMN IF NOT EXISTS lead_minutes DOUBLE;
