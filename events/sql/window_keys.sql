-- The keys and content hashes of the tenants' events in a ts window.
SELECT tenant, event_id, content_hash
FROM agent_events
WHERE {{template "in_window"}}
