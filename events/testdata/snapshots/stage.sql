SELECT tenant, run_id,
       anyIf(trace_id, kind = 'run'),
       toUInt8(maxIf(status = 'error', kind = 'run')),
       sum(cost_usd),
       maxIf(duration_ms, kind = 'run'),
       toUInt64(count()),
       toUInt64(countIf(notEmpty(contract_violations))),
       toUInt64(sum(length(contract_violations))),
       toUInt64(countIf(kind = 'policy')),
       toUInt64(countIf(kind = 'policy' AND decision = 'deny')),
       toUInt64(countIf(kind = 'approval')),
       toUInt64(countIf(kind = 'approval' AND result = 'approved')),
       toUInt64(countIf(kind = 'retrieval')),
       toUInt64(countIf(kind = 'retrieval' AND freshness_stale)),
       toUInt64(countIf(kind = 'retrieval' AND access_decision = 'denied')),
       arraySort(groupUniqArray(toString(kind))),
       max(ts)
FROM agent_events
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id FROM agent_events
    WHERE kind = 'run' AND run_id != '' AND release = @release AND environment = @environment
      AND ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND ts < fromUnixTimestamp64Micro(@until, 'UTC'))
GROUP BY tenant, run_id
ORDER BY tenant, run_id
;
SELECT tenant, run_id,
       anyIf(trace_id, kind = 'run'),
       toUInt8(maxIf(status = 'error', kind = 'run')),
       sum(cost_usd),
       maxIf(duration_ms, kind = 'run'),
       toUInt64(count()),
       toUInt64(countIf(notEmpty(contract_violations))),
       toUInt64(sum(length(contract_violations))),
       toUInt64(countIf(kind = 'policy')),
       toUInt64(countIf(kind = 'policy' AND decision = 'deny')),
       toUInt64(countIf(kind = 'approval')),
       toUInt64(countIf(kind = 'approval' AND result = 'approved')),
       toUInt64(countIf(kind = 'retrieval')),
       toUInt64(countIf(kind = 'retrieval' AND freshness_stale)),
       toUInt64(countIf(kind = 'retrieval' AND access_decision = 'denied')),
       arraySort(groupUniqArray(toString(kind))),
       max(ts)
FROM agent_events
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id FROM agent_events
    WHERE kind = 'run' AND run_id != '' AND release = @release AND environment = @environment
      AND ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND ts < fromUnixTimestamp64Micro(@until, 'UTC') AND tenant IN @tenants)
GROUP BY tenant, run_id
ORDER BY tenant, run_id
;
SELECT cap.1 AS dim, cap.2 AS value, toUInt64(count()), toUInt64(countIf(status = 'error')), sum(cost_usd),
       toUInt64(countIf(kind = 'policy' AND decision = 'deny')), sum(duration_ms)
FROM agent_events
ARRAY JOIN [('tool', if(kind = 'tool', toString(tool), '')),
            ('model', if(kind = 'model', toString(model), '')),
            ('prompt', if(kind = 'model', toString(prompt_version), '')),
            ('policy', if(kind = 'policy', toString(policy_version), '')),
            ('memory', if(kind = 'memory' AND op != 'read', 'writes', ''))] AS cap
WHERE cap.2 != '' AND (tenant, run_id) IN (
    SELECT tenant, run_id FROM agent_events
    WHERE kind = 'run' AND run_id != '' AND release = @release AND environment = @environment
      AND ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND ts < fromUnixTimestamp64Micro(@until, 'UTC'))
GROUP BY dim, value
ORDER BY dim, value
