-- Only the highest dataset version each release was scored on, per
-- dataset: a case compared across releases counts once per release even
-- when the release ran two versions that both hold it.
 AND (dataset, dataset_version, release) IN (
    SELECT dataset, max(dataset_version), release
    FROM eval_results FINAL
    WHERE 1{{template "trend_scope" .}}
    GROUP BY dataset, release)
