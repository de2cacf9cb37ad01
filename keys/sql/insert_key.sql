-- One new key. Sent as a batch: created_at goes as a typed DateTime64(3)
-- (a bound value would be cut to whole seconds). key_sha256 is the hex
-- SHA-256 of the key; the key itself is never sent to the store.
INSERT INTO api_keys (name, key_sha256, role, tenant, created_at, created_by, revoked_at, revoked_by, version)
