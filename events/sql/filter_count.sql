-- How many rows a Filter selects.
SELECT count()
FROM agent_events FINAL
WHERE 1{{template "filtered" .}}
