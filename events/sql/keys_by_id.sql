-- The keys of stored events with these ids.
SELECT tenant, event_id
FROM agent_events
WHERE event_id IN @ids
