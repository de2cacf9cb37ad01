INSERT INTO agent_events (tenant, environment, ts, kind, event_id, trace_id, span_id, parent_span_id, run_id, release, duration_ms, status, dataset, case_id, actor, task, input, output, stop_reason, model, prompt_version, input_ref, output_status, input_tokens, output_tokens, cost_usd, cost_source, latency_ms, tool, args, authorization, retry_count, idempotency_key, side_effect, source_ids, freshness_stale, freshness_age_s, access_decision, citation_required, op, read_ids, write_ids, retention_class, policy_basis, policy_version, decision, reason_code, enforcement, approver_role, action, expires_at, result, evaluator, evaluator_version, score, threshold, passed, attributes, contract_violations, redactions, redaction_counts, source, storage_retention, retention_days, ingest_id, content_hash)
;
SELECT count()
FROM agent_events
WHERE tenant IN @tenants AND ts >= fromUnixTimestamp64Micro(@lo, 'UTC') AND ts <= fromUnixTimestamp64Micro(@hi, 'UTC')
;
SELECT tenant, event_id, content_hash
FROM agent_events
WHERE tenant IN @tenants AND ts >= fromUnixTimestamp64Micro(@lo, 'UTC') AND ts <= fromUnixTimestamp64Micro(@hi, 'UTC')
;
SELECT tenant, event_id, content_hash
FROM agent_events
WHERE event_id IN @ids
;
INSERT INTO ingest_log (ingest_id, started_at, finished_at, source, origin, accepted, rejected, expired, duplicates, conflicts, redactions, violations)
VALUES (@ingest_id, @started_at, @finished_at, @source, @origin, @accepted, @rejected, @expired, @duplicates, @conflicts, @redactions, @violations)
