-- A trace's first run event.
SELECT {{.Columns}}
FROM agent_events FINAL
WHERE trace_id = @trace_id AND kind = 'run'
ORDER BY ts
LIMIT 1
