SELECT count()
FROM agent_events FINAL
WHERE 1 AND ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND ts < fromUnixTimestamp64Micro(@until, 'UTC') AND tenant = @tenant AND environment = @environment AND release = @release
;
SELECT tenant, environment, ts, kind, event_id, trace_id, span_id, parent_span_id, run_id, release, duration_ms, status, dataset, case_id, actor, task, input, output, stop_reason, model, prompt_version, input_ref, output_status, input_tokens, output_tokens, cost_usd, cost_source, latency_ms, tool, args, authorization, retry_count, idempotency_key, side_effect, source_ids, freshness_stale, freshness_age_s, access_decision, citation_required, op, read_ids, write_ids, retention_class, policy_basis, policy_version, decision, reason_code, enforcement, approver_role, action, expires_at, result, evaluator, evaluator_version, score, threshold, passed, attributes, contract_violations, redactions, redaction_counts, source, storage_retention, retention_days, ingest_id, content_hash, ingested_at
FROM agent_events FINAL
WHERE 1
ORDER BY tenant, environment, ts, event_id
LIMIT @limit
;
SELECT tenant, environment, ts, kind, event_id, trace_id, span_id, parent_span_id, run_id, release, duration_ms, status, dataset, case_id, actor, task, input, output, stop_reason, model, prompt_version, input_ref, output_status, input_tokens, output_tokens, cost_usd, cost_source, latency_ms, tool, args, authorization, retry_count, idempotency_key, side_effect, source_ids, freshness_stale, freshness_age_s, access_decision, citation_required, op, read_ids, write_ids, retention_class, policy_basis, policy_version, decision, reason_code, enforcement, approver_role, action, expires_at, result, evaluator, evaluator_version, score, threshold, passed, attributes, contract_violations, redactions, redaction_counts, source, storage_retention, retention_days, ingest_id, content_hash, ingested_at
FROM agent_events FINAL
WHERE 1
 AND (tenant, environment, ts, event_id) > (@after_tenant, @after_environment, fromUnixTimestamp64Micro(@after_ts, 'UTC'), @after_event_id)
ORDER BY tenant, environment, ts, event_id
LIMIT @limit
