-- Per dataset run the filter selects (by its run event): its trace, case
-- and decision, the most restrictive of its policy events (rank: deny 3,
-- require_approval 2, allow 1; 0 when it made none), with that event's
-- policy version (the latest of equal rank). Every event of a selected
-- run counts, inside the window or not.
SELECT tenant, run_id,
       anyIf(trace_id, kind = 'run') AS trace,
       anyIf(dataset, kind = 'run') AS ds,
       anyIf(case_id, kind = 'run') AS cs,
       toUInt8(maxIf(rank, kind = 'policy')) AS decision_rank,
       argMaxIf(policy_version, (rank, ts), kind = 'policy') AS version
FROM (
    SELECT tenant, run_id, trace_id, kind, dataset, case_id, ts, policy_version,
           multiIf(decision = 'deny', 3, decision = 'require_approval', 2, decision = 'allow', 1, 0) AS rank
    FROM agent_events{{.Final}}
    WHERE (tenant, run_id) IN (
        SELECT tenant, run_id FROM agent_events{{.Final}}
        WHERE kind = 'run' AND run_id != '' AND case_id != '' AND dataset != ''{{range .Where}} AND {{.}}{{end}}))
GROUP BY tenant, run_id
