SELECT name, version, content_hash, status, case_count, created_at, created_by, approved_by, source, note, updated_at
FROM datasets FINAL
WHERE name = ?
ORDER BY version
;
SELECT case_id, input, expected, tags, change_types, provenance, snapshot
FROM dataset_items FINAL
WHERE dataset = ? AND version = ?
ORDER BY case_id
;
SELECT greatest(
    (SELECT max(version) FROM datasets WHERE name = ?),
    (SELECT max(version) FROM dataset_items WHERE dataset = ?)
)
;
INSERT INTO dataset_items (dataset, version, case_id, input, expected, tags, change_types, provenance, snapshot, item_hash)
;
INSERT INTO datasets (name, version, content_hash, status, case_count, created_at, created_by, approved_by, source, note, updated_at)
