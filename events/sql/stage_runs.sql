-- Per selected run (stage_selected): what a stage gate measures on it.
-- Every event of the run counts. Error: its run event's status; cost: all
-- its events'; duration: its run event's.
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
WHERE {{template "stage_selected" .}}
GROUP BY tenant, run_id
ORDER BY tenant, run_id
