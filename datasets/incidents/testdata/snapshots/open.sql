SELECT max(toUInt64OrZero(substring(incident_id, 5)))
FROM incidents
;
INSERT INTO incidents (incident_id, title, severity, owner, trace_ids, status, promoted_to, opened_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
