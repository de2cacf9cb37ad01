-- Per dataset case and release: results, passes, the rules that failed,
-- a run (a failing one when there is one) and the release's first run of
-- the case. Production results (no case) are not cases.
SELECT dataset, case_id, release, toUInt64(count()), toUInt64(countIf(passed)),
       arraySort(groupUniqArrayIf(rule_id, NOT passed)), argMin(run_id, passed), min(run_ts)
FROM eval_results FINAL
WHERE case_id != ''{{template "trend_scope" .}}{{template "trend_current" .}}{{template "trend_latest_version" .}}
GROUP BY dataset, case_id, release
ORDER BY dataset, case_id, min(run_ts), release
