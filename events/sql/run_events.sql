-- Every event of the runs a filter selects, run by run. A run is selected
-- by its run event; all its events are read, whatever they carry. FINAL:
-- each event once, even while concurrent writers' duplicates await a merge.
SELECT {{.Columns}}
FROM agent_events FINAL
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run'
{{- if .Dataset}} AND dataset = @dataset{{end}}
{{- if .Release}} AND release = @release{{end}}
{{- if .Environment}} AND environment = @environment{{end}}
{{- if .Tenant}} AND tenant = @tenant{{end}}
{{- if .HasSince}} AND ts >= fromUnixTimestamp64Micro(@since, 'UTC'){{end}})
ORDER BY tenant, run_id, ts, span_id
