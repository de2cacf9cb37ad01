-- One line per run a RunQuery selects, newest first: its run event's
-- context and outcome, and what its events add up to (cost and tokens of
-- its model calls, policy decisions by decision). A run is selected by its
-- run event; every event of the run counts. No FINAL unless Exact: ingest
-- already keeps duplicates out, and FINAL costs a merge at read time.
-- The aliases are the columns' names: prefer_column_name_to_alias keeps
-- "status" and "environment" in conditions the columns, not the aggregates.
SELECT tenant, run_id,
       anyIf(trace_id, kind = 'run') AS trace_id,
       anyIf(environment, kind = 'run') AS environment,
       anyIf(release, kind = 'run') AS release,
       anyIf(dataset, kind = 'run') AS dataset,
       anyIf(case_id, kind = 'run') AS case_id,
       anyIf(actor, kind = 'run') AS actor,
       anyIf(task, kind = 'run') AS task,
       anyIf(status, kind = 'run') AS status,
       anyIf(stop_reason, kind = 'run') AS stop_reason,
       minIf(ts, kind = 'run') AS started,
       maxIf(duration_ms, kind = 'run') AS duration_ms,
       count() AS events,
       countIf(kind = 'model') AS model_calls,
       countIf(kind = 'tool') AS tool_calls,
       countIf(kind != 'run' AND status = 'error') AS error_events,
       sumIf(input_tokens, kind = 'model') AS input_tokens,
       sumIf(output_tokens, kind = 'model') AS output_tokens,
       sumIf(cost_usd, kind = 'model') AS cost_usd,
       sumMapIf(map(toString(decision), toUInt64(1)), kind = 'policy') AS policy,
       sum(length(contract_violations)) AS contract_violations,
       sum(redactions) AS redactions
FROM agent_events{{if .Exact}} FINAL{{end}}
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run'{{template "run_query" .}}
{{- if .Status}} AND status = @status{{end}}
{{- if .HasSince}} AND ts >= fromUnixTimestamp64Micro(@since, 'UTC'){{end}}
{{- if .HasUntil}} AND ts < fromUnixTimestamp64Micro(@until, 'UTC'){{end}}
{{- if .HasRuns}} AND (tenant, run_id) IN (SELECT arrayJoin(arrayZip(@run_tenants, @run_ids))){{end}})
{{- template "run_query" .}}
GROUP BY tenant, run_id
{{- if .Policy}}
HAVING countIf(kind = 'policy' AND decision = @policy) > 0{{end}}
ORDER BY started DESC, tenant, run_id
{{- if .Limit}}
LIMIT @limit{{end}}
SETTINGS prefer_column_name_to_alias = 1
