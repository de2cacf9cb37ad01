-- Events of a kind that miss (or misstate) a field of the trace contract.
SELECT kind, field, count() AS events
FROM agent_events FINAL ARRAY JOIN contract_violations AS field
WHERE 1{{template "selected" .}}
GROUP BY kind, field
ORDER BY events DESC, kind, field
