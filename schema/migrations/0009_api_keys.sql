-- The keys that open serve's endpoints and its ClickHouse interface (owner:
-- keys/). One row per key name; the key itself is never stored, only its
-- SHA-256. Revoking writes the row again with revoked_at set and a higher
-- version, so readers take the newest version of each name (FINAL). Names
-- are never reused: a revoked key's row keeps saying who held it.
CREATE TABLE IF NOT EXISTS api_keys{{.OnCluster}}
(
    name        String,
    key_sha256  String,
    role        LowCardinality(String),
    tenant      String,
    created_at  DateTime64(3, 'UTC'),
    created_by  String,
    revoked_at  Nullable(DateTime64(3, 'UTC')),
    revoked_by  String,
    version     UInt64
)
ENGINE = {{engine "api_keys" "ReplacingMergeTree" "version"}}
ORDER BY name;
