-- run_decisions.sql from run_summaries: the runs of dataset cases that
-- started in the filter, each with its decision rank and the policy
-- version of the deciding event, merged over the run's partial rows.
SELECT tenant, run_id,
       max(trace_id) AS trace,
       max(dataset) AS ds,
       max(case_id) AS cs,
       max(decision_rank) AS decision_rank,
       argMaxMerge(decision_version) AS version
FROM run_summaries
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id FROM run_summaries
    WHERE run_id != '' AND case_id != '' AND dataset != ''{{range .Where}} AND {{.}}{{end}})
GROUP BY tenant, run_id
