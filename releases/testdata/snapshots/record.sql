INSERT INTO release_stages (release, recorded_at, seq, stage, environment, cohort_tenants, cohort_percent, owner, rollback_owner, note, recorded_by, evidence)
