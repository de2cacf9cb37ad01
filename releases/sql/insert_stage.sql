-- One stage transition. Sent as a batch: recorded_at goes as a typed
-- DateTime64(3) (a bound value would be cut to whole seconds); seq orders
-- transitions one process recorded within one millisecond.
INSERT INTO release_stages (release, recorded_at, seq, stage, environment, cohort_tenants, cohort_percent, owner, rollback_owner, note, recorded_by, evidence)
