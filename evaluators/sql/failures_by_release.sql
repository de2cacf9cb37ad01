-- Per release and rule: the results of the rule versions named whose run
-- started in [@since, @until), and how many failed (an error is a
-- failure). FINAL: a re-scored run counts once.
SELECT release, rule_id, toUInt64(count()) AS results, toUInt64(countIf(NOT passed)) AS failed
FROM eval_results FINAL
WHERE (rule_id, rule_version) IN (SELECT arrayJoin(arrayZip(@rule_ids, @rule_versions)))
  AND run_ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND run_ts < fromUnixTimestamp64Micro(@until, 'UTC')
  AND (@tenant = '' OR tenant = @tenant)
  AND (@environment = '' OR environment = @environment)
  AND (empty(@releases) OR has(@releases, release))
GROUP BY release, rule_id
ORDER BY release, rule_id
