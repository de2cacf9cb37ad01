-- The highest incident number used so far (INC-<n>), 0 for none.
SELECT max(toUInt64OrZero(substring(incident_id, 5)))
FROM incidents
