-- Per rule version, dataset version and release: results and passes, and
-- the release's first run (releases are ordered by it). FINAL: a re-scored
-- result replaces the old one, and the counts are exact before merges.
SELECT rule_id, rule_version, dataset, dataset_version, release,
       toUInt64(count()), toUInt64(countIf(passed)), min(run_ts)
FROM eval_results FINAL
WHERE 1{{template "trend_scope" .}}{{template "trend_current" .}}
GROUP BY rule_id, rule_version, dataset, dataset_version, release
ORDER BY rule_id, rule_version, dataset, dataset_version, min(run_ts), release
