-- A Filter as conditions, each starting " AND ". Times are bound as
-- microseconds, the precision of ts.
{{- if .HasSince}} AND ts >= fromUnixTimestamp64Micro(@since, 'UTC'){{end}}
{{- if .HasUntil}} AND ts < fromUnixTimestamp64Micro(@until, 'UTC'){{end}}
{{- if .Tenant}} AND tenant = @tenant{{end}}
{{- if .Environment}} AND environment = @environment{{end}}
{{- if .Release}} AND release = @release{{end}}
