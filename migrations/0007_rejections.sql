-- 0007_rejections: every value (or whole poll) the poller did not turn into a rate, with its reason.
-- Safe to re-run: CREATE ... IF NOT EXISTS.

-- One row per rejection of a poll attempt, keyed by the `polls` row it belongs to (ts, source, attempt, poller)
-- plus the currency it is about (NULL when the whole poll is at fault: a failed call, a bad body) and its reason,
-- one of REJECTION_REASONS in common/types.ts. Filtered reasons (self_quote: an API pricing BTC in itself) are
-- here too, counted, while the poll row stays clean.
CREATE TABLE IF NOT EXISTS rejections (
  ts TIMESTAMP,
  source SYMBOL,
  attempt INT,
  poller SYMBOL,
  currency SYMBOL CAPACITY 2048,
  reason SYMBOL,
  detail VARCHAR
) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, source, attempt, poller, currency, reason);
