-- Secrets replaced by markers, per type.
SELECT type, sum(n) AS count
FROM agent_events FINAL ARRAY JOIN mapKeys(redaction_counts) AS type, mapValues(redaction_counts) AS n
WHERE 1{{template "selected" .}}
GROUP BY type
ORDER BY count DESC, type
