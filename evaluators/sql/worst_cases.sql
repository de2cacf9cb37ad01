-- Per rule, the worst failing cases: errors first, then the lowest score,
-- then by case id; at most @worst per rule.
SELECT rule_id, case_id, run_id, trace_id, score, if(error != '', 'error: ' || error, reason)
FROM eval_results FINAL
WHERE dataset = @dataset AND dataset_version = @version AND release = @release
  AND (rule_id, rule_version) IN (SELECT arrayJoin(arrayZip(@rule_ids, @rule_versions)))
  AND NOT passed
ORDER BY rule_id, error = '', score, case_id
LIMIT @worst BY rule_id
