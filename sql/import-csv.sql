-- Queries of the CSV candle import (migrations/backfills/import-csv.ts).

-- name: upsertCsvSource :exec
-- The imported source's row in `sources`: the constant timestamp makes DEDUP UPSERT KEYS(ts, id) replace it on
-- every import instead of adding one.
INSERT INTO sources (ts, id, kind, url_template, description)
VALUES ('1970-01-01T00:00:00.000000Z', $1, 'csv', $2, $3);
