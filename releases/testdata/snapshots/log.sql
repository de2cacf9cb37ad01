SELECT recorded_at, stage, environment, cohort_tenants, cohort_percent, owner, rollback_owner, note, recorded_by, evidence
FROM release_stages
WHERE release = @release
ORDER BY recorded_at, seq
