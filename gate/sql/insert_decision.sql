-- One decision. Sent as a batch: decided_at goes as a typed DateTime64(3)
-- (a bound value would be cut to whole seconds); seq orders decisions the
-- same process made within one millisecond.
INSERT INTO gate_decisions (decided_at, seq, dataset, dataset_version, release, baseline, verdict, exit_code, commit_sha, owner, evidence)
