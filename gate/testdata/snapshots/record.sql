INSERT INTO gate_decisions (decided_at, seq, dataset, dataset_version, release, baseline, verdict, exit_code, commit_sha, owner, evidence)
