-- A RunQuery's context conditions, each starting " AND ": they hold on
-- every event of a run (run context is copied onto each), so they prune
-- both the run events and the events counted.
{{- if .Tenant}} AND tenant = @tenant{{end}}
{{- if .Environment}} AND environment = @environment{{end}}
{{- if .Release}} AND release = @release{{end -}}
