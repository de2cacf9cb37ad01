INSERT INTO dataset_items (dataset, version, case_id, input, expected, tags, change_types, provenance, snapshot, item_hash)
