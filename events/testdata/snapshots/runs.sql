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
FROM agent_events
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run')
GROUP BY tenant, run_id
ORDER BY started DESC, tenant, run_id
SETTINGS prefer_column_name_to_alias = 1
;
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
FROM agent_events
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run' AND status = @status)
GROUP BY tenant, run_id
ORDER BY started DESC, tenant, run_id
SETTINGS prefer_column_name_to_alias = 1
;
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
FROM agent_events FINAL
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run')
GROUP BY tenant, run_id
HAVING countIf(kind = 'policy' AND decision = @policy) > 0
ORDER BY started DESC, tenant, run_id
SETTINGS prefer_column_name_to_alias = 1
;
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
FROM agent_events
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run')
GROUP BY tenant, run_id
HAVING countIf(kind = 'policy' AND decision = @policy) > 0
ORDER BY started DESC, tenant, run_id
SETTINGS prefer_column_name_to_alias = 1
;
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
FROM agent_events
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run' AND tenant = @tenant AND environment = @environment AND release = @release) AND tenant = @tenant AND environment = @environment AND release = @release
GROUP BY tenant, run_id
ORDER BY started DESC, tenant, run_id
SETTINGS prefer_column_name_to_alias = 1
;
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
FROM agent_events
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run' AND ts >= fromUnixTimestamp64Micro(@since, 'UTC'))
GROUP BY tenant, run_id
ORDER BY started DESC, tenant, run_id
SETTINGS prefer_column_name_to_alias = 1
;
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
FROM agent_events
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run' AND ts < fromUnixTimestamp64Micro(@until, 'UTC'))
GROUP BY tenant, run_id
ORDER BY started DESC, tenant, run_id
SETTINGS prefer_column_name_to_alias = 1
;
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
FROM agent_events
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run')
GROUP BY tenant, run_id
ORDER BY started DESC, tenant, run_id
LIMIT @limit
SETTINGS prefer_column_name_to_alias = 1
;
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
FROM agent_events
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run' AND (tenant, run_id) IN (SELECT arrayJoin(arrayZip(@run_tenants, @run_ids))))
GROUP BY tenant, run_id
ORDER BY started DESC, tenant, run_id
SETTINGS prefer_column_name_to_alias = 1
;
SELECT tenant, run_id, argMin(trace_id, (kind != 'run', ts)) AS trace_id
FROM agent_events
WHERE (run_id = @id OR trace_id = @id)
GROUP BY tenant, run_id
ORDER BY tenant, run_id
LIMIT 20
SETTINGS prefer_column_name_to_alias = 1
;
SELECT tenant, run_id, argMin(trace_id, (kind != 'run', ts)) AS trace_id
FROM agent_events
WHERE (run_id = @id OR trace_id = @id) AND tenant = @tenant
GROUP BY tenant, run_id
ORDER BY tenant, run_id
LIMIT 20
SETTINGS prefer_column_name_to_alias = 1
;
SELECT tenant, environment, ts, kind, event_id, trace_id, span_id, parent_span_id, run_id, release, duration_ms, status, dataset, case_id, actor, task, input, output, stop_reason, model, prompt_version, input_ref, output_status, input_tokens, output_tokens, cost_usd, cost_source, latency_ms, tool, args, authorization, retry_count, idempotency_key, side_effect, source_ids, freshness_stale, freshness_age_s, access_decision, citation_required, op, read_ids, write_ids, retention_class, policy_basis, policy_version, decision, reason_code, enforcement, approver_role, action, expires_at, result, evaluator, evaluator_version, score, threshold, passed, attributes, contract_violations, redactions, redaction_counts, source, storage_retention, retention_days, ingest_id, ingested_at
FROM agent_events FINAL
WHERE tenant = @tenant AND run_id = @run_id
ORDER BY ts, span_id
