-- The runs whose latest result of a rule failed (or erred), as
-- run_results.sql judges "latest", among the runs a FailingFilter selects
-- by their results' run context and run start ("" or 0: any). One
-- statement for every filter, so the eval_results owner's statements stay
-- plain text (no template).
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
