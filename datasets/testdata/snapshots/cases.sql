SELECT case_id, input, expected, tags, change_types, provenance, snapshot
FROM dataset_items FINAL
WHERE dataset = ? AND version = ?
ORDER BY case_id
