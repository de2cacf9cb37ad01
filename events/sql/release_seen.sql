-- Where the release was seen: per environment and tenant, its events,
-- runs and events with a contract violation, its first and last event,
-- and when the last of them was stored (trace export lag).
SELECT environment, tenant, toUInt64(count()), toUInt64(uniqExactIf(run_id, kind = 'run')),
       toUInt64(countIf(notEmpty(contract_violations))), min(ts), max(ts), max(ingested_at)
FROM agent_events FINAL
WHERE {{template "release_selected" .}}
GROUP BY environment, tenant
ORDER BY environment, tenant
