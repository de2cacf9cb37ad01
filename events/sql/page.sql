-- One page of the rows a Filter selects, in key order, continuing after
-- the last row of the page before: memory stays bounded whatever the
-- table's size, and no row is read twice or skipped.
SELECT {{.Columns}}
FROM agent_events FINAL
WHERE 1{{template "filtered" .}}
{{- if .HasAfter}} AND (tenant, environment, ts, event_id) > (@after_tenant, @after_environment, fromUnixTimestamp64Micro(@after_ts, 'UTC'), @after_event_id){{end}}
ORDER BY tenant, environment, ts, event_id
LIMIT @limit
