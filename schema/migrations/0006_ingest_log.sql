-- One row per ingest (a file, an HTTP request, a Kafka batch): what came in,
-- what was rejected, redacted, deduplicated, and which contract fields were
-- missing. Lets a gate or an operator see ingest health over time.
CREATE TABLE IF NOT EXISTS ingest_log{{.OnCluster}}
(
    ingest_id      String,
    started_at     DateTime64(3, 'UTC'),
    finished_at    DateTime64(3, 'UTC'),
    source         LowCardinality(String),
    origin         String,
    accepted       UInt64,
    rejected       UInt64,
    duplicates     UInt64,
    redactions     Map(LowCardinality(String), UInt64),
    violations     Map(LowCardinality(String), UInt64)
)
ENGINE = {{engine "ingest_log" "MergeTree"}}
ORDER BY (started_at, ingest_id);
