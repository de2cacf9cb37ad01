SELECT name, version, content_hash, status, case_count, created_at, created_by, approved_by, source, note, updated_at
FROM datasets FINAL
WHERE name = ?
ORDER BY version
;
INSERT INTO datasets (name, version, content_hash, status, case_count, created_at, created_by, approved_by, source, note, updated_at)
