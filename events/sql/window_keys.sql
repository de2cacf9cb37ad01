-- The keys of the tenants' events in a ts window.
SELECT tenant, event_id
FROM agent_events
WHERE {{template "in_window"}}
