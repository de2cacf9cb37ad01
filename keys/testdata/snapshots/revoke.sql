SELECT name, role, tenant, created_at, created_by, revoked_at, revoked_by
FROM api_keys FINAL
WHERE name = @name
ORDER BY created_at, name
;
INSERT INTO api_keys (name, key_sha256, role, tenant, created_at, created_by, revoked_at, revoked_by, version)
SELECT name, key_sha256, role, tenant, created_at, created_by, now64(3, 'UTC'), @by, greatest(version + 1, @version)
FROM api_keys FINAL
WHERE name = @name AND revoked_at IS NULL
