SELECT rule_id, rule_version, dataset, dataset_version, release,
       toUInt64(count()), toUInt64(countIf(passed)), min(run_ts)
FROM eval_results FINAL
WHERE 1 AND run_ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND run_ts < fromUnixTimestamp64Micro(@until, 'UTC') AND tenant = @tenant AND environment = @environment
 AND (dataset, dataset_version, release, rule_id, rule_version) IN (
    SELECT dataset, dataset_version, release, rule_id, argMax(rule_version, evaluated_at)
    FROM eval_results FINAL
    WHERE 1 AND run_ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND run_ts < fromUnixTimestamp64Micro(@until, 'UTC') AND tenant = @tenant AND environment = @environment
    GROUP BY dataset, dataset_version, release, rule_id)
GROUP BY rule_id, rule_version, dataset, dataset_version, release
ORDER BY rule_id, rule_version, dataset, dataset_version, min(run_ts), release
