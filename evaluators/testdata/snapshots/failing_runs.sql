SELECT tenant, run_id
FROM (
    SELECT tenant, run_id, argMax(passed, (evaluated_at, rule_version)) AS last_passed
    FROM eval_results FINAL
    WHERE rule_id = @rule
      AND (@tenant = '' OR tenant = @tenant)
      AND (@environment = '' OR environment = @environment)
      AND (@release = '' OR release = @release)
      AND (@since = 0 OR run_ts >= fromUnixTimestamp64Micro(@since, 'UTC'))
      AND (@until = 0 OR run_ts < fromUnixTimestamp64Micro(@until, 'UTC'))
    GROUP BY tenant, run_id)
WHERE NOT last_passed
ORDER BY tenant, run_id
