-- How many events the tenants stored in a ts window (a primary-key range
-- read), to choose how to look up a batch's duplicates.
SELECT count()
FROM agent_events
WHERE {{template "in_window"}}
