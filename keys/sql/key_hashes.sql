-- What the verifier holds: every key's hash and principal, revoked ones
-- too (a revoked key is refused by name, and the table is never empty
-- again once a key was created).
SELECT key_sha256, name, role, tenant, revoked_at IS NOT NULL AS revoked
FROM api_keys FINAL
