INSERT INTO stage_decisions (decision_id, decided_at, seq, release, baseline, stage, environment, window_since, window_until,
    verdict, exit_code, commit_sha, owner, decided_by, evidence)
