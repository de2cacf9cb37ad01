-- The dataset versions the dataset runs of run_decisions executed.
{{- if .Rollup}}
SELECT DISTINCT dataset FROM run_summaries
WHERE run_id != '' AND case_id != '' AND dataset != ''{{range .Where}} AND {{.}}{{end}}
{{- else}}
SELECT DISTINCT dataset FROM agent_events{{.Final}}
WHERE kind = 'run' AND run_id != '' AND case_id != '' AND dataset != ''{{range .Where}} AND {{.}}{{end}}
{{- end}}
ORDER BY dataset
