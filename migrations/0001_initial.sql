-- 0001_initial: the third-normal-form core of the pipeline.
-- QuestDB DDL is not transactional, so every statement here is safe to run again after a crash halfway:
-- CREATE ... IF NOT EXISTS, and seed rows that DEDUP UPSERT KEYS collapse onto themselves.

-- One row per currency code. Dimension tables keep a constant designated timestamp (1970-01-01), so
-- DEDUP UPSERT KEYS(ts, code) make the code the key: writing a known code replaces its row, never doubles it.
CREATE TABLE IF NOT EXISTS currencies (
  ts TIMESTAMP,
  code SYMBOL CAPACITY 2048,
  name VARCHAR,
  kind SYMBOL,
  first_seen TIMESTAMP,
  first_source SYMBOL
) TIMESTAMP(ts) PARTITION BY YEAR WAL DEDUP UPSERT KEYS(ts, code);

-- One row per API we poll (or import from): its adapter kind and URL template.
CREATE TABLE IF NOT EXISTS sources (
  ts TIMESTAMP,
  id SYMBOL,
  kind SYMBOL,
  url_template VARCHAR,
  description VARCHAR
) TIMESTAMP(ts) PARTITION BY YEAR WAL DEDUP UPSERT KEYS(ts, id);

-- One row per API call (each retry is its own attempt, each poller its own caller), keyed by its scheduled
-- minute: the lineage from every normalized row back to the raw envelope in S3 (archive_id), with what happened
-- (status, latency, size, accepted/rejected counts, the main rejection reason and the full error text).
CREATE TABLE IF NOT EXISTS polls (
  ts TIMESTAMP,
  source SYMBOL,
  attempt INT,
  poller SYMBOL,
  fetched_at TIMESTAMP,
  http_status INT,
  latency_ms DOUBLE,
  bytes LONG,
  accepted INT,
  rejected INT,
  archive_id VARCHAR,
  reason SYMBOL,
  error VARCHAR
) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, source, attempt, poller);

-- One row per (observation minute, source, currency). The minute, not the fetch time, is the key: retries,
-- restarts, replays and redundant pollers all collapse into one row.
CREATE TABLE IF NOT EXISTS rates (
  ts TIMESTAMP,
  source SYMBOL CAPACITY 64,
  currency SYMBOL CAPACITY 2048,
  rate DOUBLE,
  quote_ts TIMESTAMP
) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, source, currency);

-- The sources the project knows, with their public default URLs (the poller upserts its configured URL).
INSERT INTO sources (ts, id, kind, url_template, description) VALUES
  ('1970-01-01T00:00:00.000000Z', 'blockchain', 'blockchain', 'https://blockchain.info/ticker', 'blockchain.info ticker: ~25 fiat currencies'),
  ('1970-01-01T00:00:00.000000Z', 'coinbase', 'coinbase', 'https://api.coinbase.com/v2/exchange-rates?currency=BTC', 'Coinbase v2 exchange rates: hundreds of fiat and crypto codes'),
  ('1970-01-01T00:00:00.000000Z', 'coingecko', 'coingecko', 'https://api.coingecko.com/api/v3/simple/price?ids=bitcoin&vs_currencies={currencies}&include_last_updated_at=true', 'CoinGecko simple price, with quote time'),
  ('1970-01-01T00:00:00.000000Z', 'coindesk', 'coindesk', 'https://api.coindesk.com/v1/bpi/currentprice.json', 'CoinDesk BPI v1 (retired host; archived data and mirrors)');
