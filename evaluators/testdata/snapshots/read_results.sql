SELECT rule_id, toUInt64(count()), toUInt64(countIf(passed))
FROM eval_results FINAL
WHERE dataset = @dataset AND dataset_version = @version AND release = @release
  AND (rule_id, rule_version) IN (SELECT arrayJoin(arrayZip(@rule_ids, @rule_versions)))
GROUP BY rule_id
;
SELECT rule_id, case_id, run_id, trace_id, score, if(error != '', 'error: ' || error, reason)
FROM eval_results FINAL
WHERE dataset = @dataset AND dataset_version = @version AND release = @release
  AND (rule_id, rule_version) IN (SELECT arrayJoin(arrayZip(@rule_ids, @rule_versions)))
  AND NOT passed
ORDER BY rule_id, error = '', score, case_id
LIMIT @worst BY rule_id
;
SELECT DISTINCT case_id
FROM eval_results FINAL
WHERE dataset = @dataset AND dataset_version = @version AND release = @release
  AND (rule_id, rule_version) IN (SELECT arrayJoin(arrayZip(@rule_ids, @rule_versions)))
