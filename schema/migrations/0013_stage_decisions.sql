-- Stage gates' decisions (package rollout): each with its id (what
-- `incident open --from-gate` names), the release and baseline, the stage
-- and window judged, the verdict and exit code, and the evidence as JSON.
CREATE TABLE IF NOT EXISTS stage_decisions{{.OnCluster}}
(
    decision_id   String,
    decided_at    DateTime64(3, 'UTC'),
    seq           UInt64,
    release       LowCardinality(String),
    baseline      LowCardinality(String),
    stage         LowCardinality(String),
    environment   LowCardinality(String),
    window_since  DateTime64(3, 'UTC'),
    window_until  DateTime64(3, 'UTC'),
    verdict       LowCardinality(String),
    exit_code     UInt8,
    commit_sha    String,
    owner         String,
    decided_by    String,
    evidence      String CODEC(ZSTD(3)),
    INDEX idx_decision_id decision_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {{engine "stage_decisions" "MergeTree"}}
ORDER BY (release, decided_at, seq);
