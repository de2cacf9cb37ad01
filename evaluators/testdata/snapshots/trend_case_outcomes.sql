SELECT dataset, case_id, release, toUInt64(count()), toUInt64(countIf(passed)),
       arraySort(groupUniqArrayIf(rule_id, NOT passed)), argMin(run_id, passed), min(run_ts)
FROM eval_results FINAL
WHERE case_id != '' AND run_ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND run_ts < fromUnixTimestamp64Micro(@until, 'UTC') AND tenant = @tenant AND environment = @environment
 AND (dataset, dataset_version, release, rule_id, rule_version) IN (
    SELECT dataset, dataset_version, release, rule_id, argMax(rule_version, evaluated_at)
    FROM eval_results FINAL
    WHERE 1 AND run_ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND run_ts < fromUnixTimestamp64Micro(@until, 'UTC') AND tenant = @tenant AND environment = @environment
    GROUP BY dataset, dataset_version, release, rule_id)
 AND (dataset, dataset_version, release) IN (
    SELECT dataset, max(dataset_version), release
    FROM eval_results FINAL
    WHERE 1 AND run_ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND run_ts < fromUnixTimestamp64Micro(@until, 'UTC') AND tenant = @tenant AND environment = @environment
    GROUP BY dataset, release)
GROUP BY dataset, case_id, release
ORDER BY dataset, case_id, min(run_ts), release
