-- Queries of the migration runner (migrations/migrate.ts).

-- name: ensureMigrationsTable :exec
-- Not a WAL table: a row written here is visible at once, so a re-run right after sees it.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT,
  name VARCHAR,
  checksum VARCHAR,
  applied_at TIMESTAMP
) TIMESTAMP(applied_at) PARTITION BY NONE BYPASS WAL;

-- name: appliedMigrations :many
SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY applied_at;

-- name: recordMigration :exec
INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, now());
