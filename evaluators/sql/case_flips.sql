-- The (case, rule) pairs whose outcome differs between @release and
-- @against: a pair passed in a release when every result of it there
-- passed. Each side names a run (a failing one when there is one).
-- Regressions (pass in @against, fail in @release) first.
WITH per AS (
    SELECT dataset, case_id, rule_id, release, min(passed) AS ok, argMin(run_id, passed) AS run
    FROM eval_results FINAL
    WHERE case_id != ''{{template "trend_scope" .}}{{template "trend_current" .}}{{template "trend_latest_version" .}}
    GROUP BY dataset, case_id, rule_id, release)
SELECT a.dataset, a.case_id, a.rule_id, b.ok, a.ok, a.run, b.run
FROM per AS a
INNER JOIN per AS b ON a.dataset = b.dataset AND a.case_id = b.case_id AND a.rule_id = b.rule_id
WHERE a.release = @release AND b.release = @against AND a.ok != b.ok
ORDER BY a.ok, a.dataset, a.case_id, a.rule_id
