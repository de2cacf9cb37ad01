-- How many events a trace has.
SELECT count()
FROM agent_events FINAL
WHERE trace_id = @trace_id
