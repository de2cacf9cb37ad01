SELECT name, role, tenant, created_at, created_by, revoked_at, revoked_by
FROM api_keys FINAL
ORDER BY created_at, name
