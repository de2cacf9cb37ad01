-- One ingest: what it was told and what it stored.
INSERT INTO ingest_log (ingest_id, started_at, finished_at, source, origin, accepted, rejected, expired, duplicates, conflicts, redactions, violations)
VALUES (@ingest_id, @started_at, @finished_at, @source, @origin, @accepted, @rejected, @expired, @duplicates, @conflicts, @redactions, @violations)
