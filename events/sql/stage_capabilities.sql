-- The selected runs' events per capability a rollback can disable: each
-- tool, model, prompt version and policy version, and memory writes, with
-- their events, errors, cost, denials and duration.
SELECT cap.1 AS dim, cap.2 AS value, toUInt64(count()), toUInt64(countIf(status = 'error')), sum(cost_usd),
       toUInt64(countIf(kind = 'policy' AND decision = 'deny')), sum(duration_ms)
FROM agent_events
ARRAY JOIN [('tool', if(kind = 'tool', toString(tool), '')),
            ('model', if(kind = 'model', toString(model), '')),
            ('prompt', if(kind = 'model', toString(prompt_version), '')),
            ('policy', if(kind = 'policy', toString(policy_version), '')),
            ('memory', if(kind = 'memory' AND op != 'read', 'writes', ''))] AS cap
WHERE cap.2 != '' AND {{template "stage_selected" .}}
GROUP BY dim, value
ORDER BY dim, value
