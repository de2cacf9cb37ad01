SELECT count(), quantileExact(0.95)(cost), avg(cost), quantileExact(0.95)(dur), avg(err), sum(cv)
FROM (
    SELECT sumIf(cost_usd, kind = 'model') AS cost,
           maxIf(duration_ms, kind = 'run') AS dur,
           toFloat64(maxIf(status = 'error', kind = 'run')) AS err,
           sum(length(contract_violations)) AS cv
    FROM agent_events FINAL
    WHERE 1 AND (tenant, run_id) IN (SELECT tenant, run_id FROM agent_events FINAL WHERE kind = 'run' AND dataset = @dataset AND release = @release)
    GROUP BY tenant, run_id)
;
SELECT kind, field, count() AS events
FROM agent_events FINAL ARRAY JOIN contract_violations AS field
WHERE 1 AND (tenant, run_id) IN (SELECT tenant, run_id FROM agent_events FINAL WHERE kind = 'run' AND dataset = @dataset AND release = @release)
GROUP BY kind, field
ORDER BY events DESC, kind, field
;
SELECT release,
       countIf(kind = 'run') AS runs,
       countIf(kind = 'run' AND status = 'error') AS failed_runs,
       count() AS events,
       sum(cost_usd) AS cost_usd,
       sum(input_tokens + output_tokens) AS total_tokens
FROM agent_events FINAL
WHERE 1
GROUP BY release
ORDER BY release
;
SELECT model, count() AS calls, sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens, sum(cost_usd) AS cost_usd
FROM agent_events FINAL
WHERE kind = 'model' AND tenant = @tenant
GROUP BY model
ORDER BY cost_usd DESC, model
;
SELECT decision, reason_code, count() AS count
FROM agent_events FINAL
WHERE kind = 'policy' AND tenant = @tenant
GROUP BY decision, reason_code
ORDER BY count DESC, decision, reason_code
;
SELECT type, sum(n) AS count
FROM agent_events FINAL ARRAY JOIN mapKeys(redaction_counts) AS type, mapValues(redaction_counts) AS n
WHERE 1 AND tenant = @tenant
GROUP BY type
ORDER BY count DESC, type
