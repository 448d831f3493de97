-- Queries of the forecaster (forecast/) and its scoring job.

-- name: recentRates :many
-- Every series' rates in (from, to]: the forecaster's window, read once per minute for all series.
SELECT ts, source, currency, rate FROM rates
WHERE ts > $1 AND ts <= $2
ORDER BY ts;

-- name: scoreSpan :many
-- Matured forecasts of target minutes in [from, to) joined to the rate of exactly that minute (ASOF JOIN on the
-- series, then r.ts = f.ts: a target minute with no rate is not scored), aggregated per model and horizon.
-- base_rmse is persistence's on the same minutes (a model that ran on some minutes only is judged on those).
SELECT f.source source, f.currency currency, f.model model, f.horizon horizon,
  count() n,
  sqrt(avg((f.mean - r.rate) * (f.mean - r.rate))) rmse,
  sqrt(avg((p.mean - r.rate) * (p.mean - r.rate))) base_rmse,
  avg(abs(f.mean - r.rate)) mae,
  avg(CASE WHEN r.rate >= f.lo50 AND r.rate <= f.hi50 THEN 1.0 ELSE 0.0 END) coverage50,
  avg(CASE WHEN r.rate >= f.lo90 AND r.rate <= f.hi90 THEN 1.0 ELSE 0.0 END) coverage90,
  avg(f.hi90 - f.lo90) width90
FROM (SELECT ts, source, currency, model, horizon, mean, lo50, hi50, lo90, hi90 FROM forecasts WHERE ts >= $1 AND ts < $2) f
ASOF JOIN (SELECT ts, source, currency, rate FROM rates WHERE ts >= $1 AND ts < $2) r ON (source, currency)
JOIN (
  SELECT ts, source, currency, horizon, mean FROM forecasts WHERE model = 'persistence' AND ts >= $1 AND ts < $2
) p ON (ts, source, currency, horizon)
WHERE r.ts = f.ts
GROUP BY f.source, f.currency, f.model, f.horizon;
