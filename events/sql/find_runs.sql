-- The runs an id names: its run id, or its trace id, in any tenant (or the
-- one given). A run with no run event is found too; its trace is that of
-- its earliest event. (The alias trace_id names the aggregate only in the
-- result: prefer_column_name_to_alias.)
SELECT tenant, run_id, argMin(trace_id, (kind != 'run', ts)) AS trace_id
FROM agent_events
WHERE (run_id = @id OR trace_id = @id)
{{- if .Tenant}} AND tenant = @tenant{{end}}
GROUP BY tenant, run_id
ORDER BY tenant, run_id
LIMIT 20
SETTINGS prefer_column_name_to_alias = 1
