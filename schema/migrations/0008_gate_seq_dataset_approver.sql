-- Gate history orders decisions by decided_at (milliseconds), then by seq:
-- the recording process's microsecond clock, bumped past the last value it
-- handed out, so decisions made within the same millisecond come back in
-- the order they were made. Rows from before this migration have seq 0.
ALTER TABLE gate_decisions{{.OnCluster}} ADD COLUMN IF NOT EXISTS seq UInt64 AFTER decided_at;

-- Who published a dataset version: its author when it was published as it
-- was written, whoever ran `dataset approve` for a draft ('' until then).
ALTER TABLE datasets{{.OnCluster}} ADD COLUMN IF NOT EXISTS approved_by String AFTER created_by;
