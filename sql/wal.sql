-- name: walTables :many
-- How far each WAL table has applied what it acknowledged (QuestDB applies WAL transactions asynchronously).
SELECT name, suspended, writerTxn, sequencerTxn FROM wal_tables();
