-- A trace's events in time order.
SELECT {{.Columns}}
FROM agent_events FINAL
WHERE trace_id = @trace_id
ORDER BY ts, span_id
