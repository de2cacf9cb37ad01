-- One run's events in time order, exactly once each (FINAL).
SELECT {{.Columns}}
FROM agent_events FINAL
WHERE tenant = @tenant AND run_id = @run_id
ORDER BY ts, span_id
