SELECT incident_id, title, severity, owner, trace_ids, status, promoted_to, opened_at, updated_at
FROM incidents FINAL
WHERE incident_id = ?
