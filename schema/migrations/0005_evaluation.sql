-- Evaluator results: one row per (run, case, rule, rule version), replaced
-- on re-evaluation. Gates read these exactly (FINAL).
CREATE TABLE IF NOT EXISTS eval_results{{.OnCluster}}
(
    dataset          LowCardinality(String),
    dataset_version  UInt32,
    release          LowCardinality(String),
    rule_id          LowCardinality(String),
    rule_version     LowCardinality(String),
    case_id          String,
    run_id           String,
    trace_id         String,
    tenant           LowCardinality(String),
    environment      LowCardinality(String),
    passed           Bool,
    score            Float64,
    error            String,
    reason           String,
    run_ts           DateTime64(6, 'UTC'),
    evaluated_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = {{engine "eval_results" "ReplacingMergeTree" "evaluated_at"}}
ORDER BY (dataset, dataset_version, release, rule_id, rule_version, case_id, run_id);

CREATE TABLE IF NOT EXISTS incidents{{.OnCluster}}
(
    incident_id   String,
    title         String,
    severity      LowCardinality(String),
    owner         String,
    trace_ids     Array(String),
    status        LowCardinality(String),
    promoted_to   String,
    opened_at     DateTime64(3, 'UTC'),
    updated_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = {{engine "incidents" "ReplacingMergeTree" "updated_at"}}
ORDER BY incident_id;

CREATE TABLE IF NOT EXISTS gate_decisions{{.OnCluster}}
(
    decided_at       DateTime64(3, 'UTC'),
    dataset          LowCardinality(String),
    dataset_version  UInt32,
    release          LowCardinality(String),
    baseline         LowCardinality(String),
    verdict          LowCardinality(String),
    exit_code        UInt8,
    commit_sha       String,
    owner            String,
    evidence         String CODEC(ZSTD(3))
)
ENGINE = {{engine "gate_decisions" "MergeTree"}}
ORDER BY (dataset, release, decided_at);
