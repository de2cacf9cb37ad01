-- Only the rule version last scored for each release, dataset version and
-- rule: a rule changed between two scorings of a release counts once, as
-- its newer version.
 AND (dataset, dataset_version, release, rule_id, rule_version) IN (
    SELECT dataset, dataset_version, release, rule_id, argMax(rule_version, evaluated_at)
    FROM eval_results FINAL
    WHERE 1{{template "trend_scope" .}}
    GROUP BY dataset, dataset_version, release, rule_id)
