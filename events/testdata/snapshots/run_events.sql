SELECT tenant, environment, ts, kind, trace_id, span_id, run_id, release, duration_ms, status, dataset, case_id, actor, task, input, output, stop_reason, model, prompt_version, input_ref, output_status, input_tokens, output_tokens, cost_usd, latency_ms, tool, args, authorization, retry_count, idempotency_key, side_effect, source_ids, freshness_stale, freshness_age_s, access_decision, citation_required, op, read_ids, write_ids, retention_class, policy_basis, policy_version, decision, reason_code, enforcement, approver_role, action, expires_at, result, evaluator, evaluator_version, score, threshold, passed
FROM agent_events FINAL
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run')
ORDER BY tenant, run_id, ts, span_id
;
SELECT tenant, environment, ts, kind, trace_id, span_id, run_id, release, duration_ms, status, dataset, case_id, actor, task, input, output, stop_reason, model, prompt_version, input_ref, output_status, input_tokens, output_tokens, cost_usd, latency_ms, tool, args, authorization, retry_count, idempotency_key, side_effect, source_ids, freshness_stale, freshness_age_s, access_decision, citation_required, op, read_ids, write_ids, retention_class, policy_basis, policy_version, decision, reason_code, enforcement, approver_role, action, expires_at, result, evaluator, evaluator_version, score, threshold, passed
FROM agent_events FINAL
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run' AND dataset = @dataset AND release = @release AND environment = @environment AND tenant = @tenant)
ORDER BY tenant, run_id, ts, span_id
;
SELECT tenant, environment, ts, kind, trace_id, span_id, run_id, release, duration_ms, status, dataset, case_id, actor, task, input, output, stop_reason, model, prompt_version, input_ref, output_status, input_tokens, output_tokens, cost_usd, latency_ms, tool, args, authorization, retry_count, idempotency_key, side_effect, source_ids, freshness_stale, freshness_age_s, access_decision, citation_required, op, read_ids, write_ids, retention_class, policy_basis, policy_version, decision, reason_code, enforcement, approver_role, action, expires_at, result, evaluator, evaluator_version, score, threshold, passed
FROM agent_events FINAL
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run' AND environment = @environment AND ts >= fromUnixTimestamp64Micro(@since, 'UTC'))
ORDER BY tenant, run_id, ts, span_id
;
SELECT tenant, environment, ts, kind, trace_id, span_id, run_id, release, duration_ms, status, dataset, case_id, actor, task, input, output, stop_reason, model, prompt_version, input_ref, output_status, input_tokens, output_tokens, cost_usd, latency_ms, tool, args, authorization, retry_count, idempotency_key, side_effect, source_ids, freshness_stale, freshness_age_s, access_decision, citation_required, op, read_ids, write_ids, retention_class, policy_basis, policy_version, decision, reason_code, enforcement, approver_role, action, expires_at, result, evaluator, evaluator_version, score, threshold, passed
FROM agent_events FINAL
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id
    FROM agent_events
    WHERE kind = 'run' AND ts >= fromUnixTimestamp64Micro(@since, 'UTC'))
ORDER BY tenant, run_id, ts, span_id
