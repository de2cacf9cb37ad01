-- A TrendFilter as conditions, each starting " AND ": results of runs in
-- the window, of the tenant, environment and releases asked for.
 AND run_ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND run_ts < fromUnixTimestamp64Micro(@until, 'UTC')
{{- if .Tenant}} AND tenant = @tenant{{end}}
{{- if .Environment}} AND environment = @environment{{end}}
{{- if .Releases}} AND release IN @releases{{end}}
