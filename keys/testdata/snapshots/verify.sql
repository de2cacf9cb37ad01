SELECT key_sha256, name, role, tenant, revoked_at IS NOT NULL AS revoked
FROM api_keys FINAL
