-- Policy decisions per decision and reason code.
SELECT decision, reason_code, count() AS count
FROM agent_events FINAL
WHERE kind = 'policy'{{template "selected" .}}
GROUP BY decision, reason_code
ORDER BY count DESC, decision, reason_code
