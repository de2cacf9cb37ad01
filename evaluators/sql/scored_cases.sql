-- The cases with at least one result of the rule versions named.
SELECT DISTINCT case_id
FROM eval_results FINAL
WHERE dataset = @dataset AND dataset_version = @version AND release = @release
  AND (rule_id, rule_version) IN (SELECT arrayJoin(arrayZip(@rule_ids, @rule_versions)))
