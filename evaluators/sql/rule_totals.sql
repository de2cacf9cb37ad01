-- Per rule: how many results a release has on a dataset version, and how
-- many passed. Only the rule versions named count (a changed rule's old
-- results never mix with its new ones). FINAL: counts are exact even
-- before duplicate rows from concurrent writers are merged away.
SELECT rule_id, toUInt64(count()), toUInt64(countIf(passed))
FROM eval_results FINAL
WHERE dataset = @dataset AND dataset_version = @version AND release = @release
  AND (rule_id, rule_version) IN (SELECT arrayJoin(arrayZip(@rule_ids, @rule_versions)))
GROUP BY rule_id
