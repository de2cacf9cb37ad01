SELECT rule_id, toUInt64(count()), toUInt64(countIf(passed))
FROM eval_results FINAL
WHERE dataset = @dataset AND dataset_version = @version AND release = @release
  AND (rule_id, rule_version) IN (SELECT arrayJoin(arrayZip(@rule_ids, @rule_versions)))
GROUP BY rule_id
;
SELECT DISTINCT case_id
FROM eval_results FINAL
WHERE dataset = @dataset AND dataset_version = @version AND release = @release
  AND (rule_id, rule_version) IN (SELECT arrayJoin(arrayZip(@rule_ids, @rule_versions)))
