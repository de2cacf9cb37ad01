-- Each rule's latest result on each run named: a rule scored again (a new
-- rule version, or a re-score) counts by its last evaluation (ties broken
-- by the higher rule version). An error is a failure. The aliases are
-- the columns' names only in the result (prefer_column_name_to_alias).
SELECT tenant, run_id, rule_id,
       argMax(rule_version, (evaluated_at, rule_version)) AS rule_version,
       argMax(passed, (evaluated_at, rule_version)) AS passed,
       argMax(score, (evaluated_at, rule_version)) AS score,
       argMax(error, (evaluated_at, rule_version)) AS error,
       argMax(reason, (evaluated_at, rule_version)) AS reason,
       argMax(dataset, (evaluated_at, rule_version)) AS dataset,
       argMax(dataset_version, (evaluated_at, rule_version)) AS dataset_version,
       max(evaluated_at) AS evaluated_at
FROM eval_results FINAL
WHERE (tenant, run_id) IN (SELECT arrayJoin(arrayZip(@tenants, @run_ids)))
GROUP BY tenant, run_id, rule_id
ORDER BY tenant, run_id, rule_id
SETTINGS prefer_column_name_to_alias = 1
