-- One insert of rows; ingest's Writer has already removed duplicates.
INSERT INTO agent_events ({{.Columns}})
