-- A Selection as conditions, each starting " AND ": a tenant's events,
-- and the events of a release's runs on a dataset version.
{{- if .Tenant}} AND tenant = @tenant{{end}}
{{- if .Dataset}} AND (tenant, run_id) IN (SELECT tenant, run_id FROM agent_events FINAL WHERE kind = 'run' AND dataset = @dataset AND release = @release){{end}}
