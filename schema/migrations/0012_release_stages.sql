-- The stage log (package releases): each stage transition of a release —
-- the stage, the environment, its cohort (tenants, or a percentage of
-- traffic; NULL when the stage names neither), who owns the stage and who
-- rolls it back, a note, who recorded it and when — and the release
-- record at that moment as JSON (evidence). Every text is redacted.
CREATE TABLE IF NOT EXISTS release_stages{{.OnCluster}}
(
    release         LowCardinality(String),
    recorded_at     DateTime64(3, 'UTC'),
    seq             UInt64,
    stage           LowCardinality(String),
    environment     LowCardinality(String),
    cohort_tenants  Array(String),
    cohort_percent  Nullable(Float64),
    owner           String,
    rollback_owner  String,
    note            String,
    recorded_by     String,
    evidence        String CODEC(ZSTD(3))
)
ENGINE = {{engine "release_stages" "MergeTree"}}
ORDER BY (release, recorded_at, seq);
