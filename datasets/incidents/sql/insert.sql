-- One incident's current state. incidents is a ReplacingMergeTree on
-- incident_id (version updated_at): saving again replaces the record.
INSERT INTO incidents (incident_id, title, severity, owner, trace_ids, status, promoted_to, opened_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
