SELECT incident_id, title, severity, owner, trace_ids, status, promoted_to, opened_at, updated_at
FROM incidents FINAL
ORDER BY opened_at DESC, incident_id DESC
