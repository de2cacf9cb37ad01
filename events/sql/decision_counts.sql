-- The dataset runs of run_decisions (from raw rows) or of
-- run_decisions_rollup whose case expects a decision (@cases, "dataset
-- NUL case_id", and @wants, each one's expected decision), counted per
-- deciding policy version, decision rank and expected decision, with the
-- first @misses of each group's wrong decisions in (tenant, run_id) order.
-- A run that made no decision is an allow (rank 1) when judged.
SELECT if(decision_rank = 0, '', version) AS v, decision_rank, want, count(),
       groupArraySortedIf(@misses)((tenant, run_id, trace, ds, cs),
           greatest(decision_rank, 1) != multiIf(want = 'deny', 3, want = 'require_approval', 2, want = 'allow', 1, 0))
FROM (
    SELECT tenant, run_id, trace, ds, cs, decision_rank, version,
           transform(concat(ds, '\0', cs), @cases, @wants, '') AS want
    FROM ({{if .Rollup}}{{template "run_decisions_rollup" .}}{{else}}{{template "run_decisions" .}}{{end}})
)
WHERE want != ''
GROUP BY v, decision_rank, want
ORDER BY v, decision_rank, want
