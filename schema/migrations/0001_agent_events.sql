-- One wide table for every kind of agent event. Run context (tenant,
-- environment, release, run, dataset case) is copied onto every row, so
-- reports and gates read one table. Kind-specific columns default to ''/0.
-- Payloads (input, output, args, attributes) are JSON text, redacted before
-- they get here. Duplicates are kept out at ingest (see docs/ingest.md);
-- ReplacingMergeTree is the backstop for concurrent writers.
CREATE TABLE IF NOT EXISTS agent_events{{.OnCluster}}
(
    tenant                 LowCardinality(String),
    environment            LowCardinality(String),
    ts                     DateTime64(6, 'UTC') CODEC(Delta, ZSTD(1)),
    kind                   LowCardinality(String),
    event_id               String,
    trace_id               String,
    span_id                String,
    parent_span_id         String,
    run_id                 String,
    release                LowCardinality(String),
    duration_ms            Float64,
    status                 LowCardinality(String),
    dataset                LowCardinality(String),
    case_id                String,

    actor                  LowCardinality(String),
    task                   LowCardinality(String),
    input                  String CODEC(ZSTD(3)),
    output                 String CODEC(ZSTD(3)),
    stop_reason            LowCardinality(String),

    model                  LowCardinality(String),
    prompt_version         LowCardinality(String),
    input_ref              String,
    output_status          LowCardinality(String),
    input_tokens           UInt64,
    output_tokens          UInt64,
    cost_usd               Float64,
    cost_source            LowCardinality(String),
    latency_ms             Float64,

    tool                   LowCardinality(String),
    args                   String CODEC(ZSTD(3)),
    authorization          LowCardinality(String),
    retry_count            UInt32,
    idempotency_key        String,
    side_effect            LowCardinality(String),

    source_ids             Array(String),
    freshness_stale        Bool,
    freshness_age_s        Float64,
    access_decision        LowCardinality(String),
    citation_required      Bool,

    op                     LowCardinality(String),
    read_ids               Array(String),
    write_ids              Array(String),
    retention_class        LowCardinality(String),
    policy_basis           LowCardinality(String),

    policy_version         LowCardinality(String),
    decision               LowCardinality(String),
    reason_code            LowCardinality(String),
    enforcement            LowCardinality(String),

    approver_role          LowCardinality(String),
    action                 LowCardinality(String),
    expires_at             DateTime64(3, 'UTC'),
    result                 LowCardinality(String),

    evaluator              LowCardinality(String),
    evaluator_version      LowCardinality(String),
    score                  Float64,
    threshold              Float64,
    passed                 Bool,

    attributes             String CODEC(ZSTD(3)),

    contract_violations    Array(LowCardinality(String)),
    redactions             UInt32,
    redaction_counts       Map(LowCardinality(String), UInt32),
    source                 LowCardinality(String),
    storage_retention      LowCardinality(String),
    retention_days         UInt16,
    ingest_id              String,
    ingested_at            DateTime64(3, 'UTC') DEFAULT now64(3),

    INDEX idx_event_id event_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_run_id run_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = {{engine "agent_events" "ReplacingMergeTree" "ingested_at"}}
PARTITION BY (retention_days, toMonday(ts))
ORDER BY (tenant, environment, toStartOfHour(ts), kind, event_id)
TTL toDateTime(ts) + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1;
