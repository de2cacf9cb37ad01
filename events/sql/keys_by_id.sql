-- The keys and content hashes of stored events with these ids.
SELECT tenant, event_id, content_hash
FROM agent_events
WHERE event_id IN @ids
