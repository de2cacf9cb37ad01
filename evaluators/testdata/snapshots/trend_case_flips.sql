WITH per AS (
    SELECT dataset, case_id, rule_id, release, min(passed) AS ok, argMin(run_id, passed) AS run
    FROM eval_results FINAL
    WHERE case_id != '' AND run_ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND run_ts < fromUnixTimestamp64Micro(@until, 'UTC') AND tenant = @tenant AND environment = @environment AND release IN @releases
 AND (dataset, dataset_version, release, rule_id, rule_version) IN (
    SELECT dataset, dataset_version, release, rule_id, argMax(rule_version, evaluated_at)
    FROM eval_results FINAL
    WHERE 1 AND run_ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND run_ts < fromUnixTimestamp64Micro(@until, 'UTC') AND tenant = @tenant AND environment = @environment AND release IN @releases
    GROUP BY dataset, dataset_version, release, rule_id)
 AND (dataset, dataset_version, release) IN (
    SELECT dataset, max(dataset_version), release
    FROM eval_results FINAL
    WHERE 1 AND run_ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND run_ts < fromUnixTimestamp64Micro(@until, 'UTC') AND tenant = @tenant AND environment = @environment AND release IN @releases
    GROUP BY dataset, release)
    GROUP BY dataset, case_id, rule_id, release)
SELECT a.dataset, a.case_id, a.rule_id, b.ok, a.ok, a.run, b.run
FROM per AS a
INNER JOIN per AS b ON a.dataset = b.dataset AND a.case_id = b.case_id AND a.rule_id = b.rule_id
WHERE a.release = @release AND b.release = @against AND a.ok != b.ok
ORDER BY a.ok, a.dataset, a.case_id, a.rule_id
