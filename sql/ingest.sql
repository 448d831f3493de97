-- Queries of the poller (ingest/).

-- name: knownCurrencies :many
SELECT code FROM currencies;

-- name: recentRates :many
-- The last accepted rate per (source, currency) in the jump check's look-back, to resume it after a restart.
SELECT ts, source, currency, rate FROM rates
WHERE ts >= dateadd('h', -1, now())
LATEST ON ts PARTITION BY source, currency;
