-- ingest_log records exactly what the caller was told: events already past
-- their retention on arrival are counted apart from rejected ones.
ALTER TABLE ingest_log{{.OnCluster}} ADD COLUMN IF NOT EXISTS expired UInt64 AFTER rejected;
