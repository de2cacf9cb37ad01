-- Each event's content fingerprint (events.ContentHash), so a re-send of
-- an event_id with different content is told apart from a duplicate: it is
-- counted as a conflict and not stored, never dropped as a duplicate. 0 on
-- rows stored before this migration (they compare as unknown).
ALTER TABLE agent_events{{.OnCluster}} ADD COLUMN IF NOT EXISTS content_hash UInt64 DEFAULT 0 AFTER ingest_id;
-- How many of an ingest's rejections were such conflicts.
ALTER TABLE ingest_log{{.OnCluster}} ADD COLUMN IF NOT EXISTS conflicts UInt64 AFTER duplicates;
