-- Versioned datasets of cases. A version is immutable once published; its
-- content_hash identifies the content. Items carry provenance (incident,
-- source trace) and, for promoted incidents, a snapshot of the trace that
-- outlives trace retention.
CREATE TABLE IF NOT EXISTS datasets{{.OnCluster}}
(
    name          LowCardinality(String),
    version       UInt32,
    content_hash  String,
    status        LowCardinality(String),
    case_count    UInt32,
    created_at    DateTime64(3, 'UTC'),
    created_by    String,
    source        String,
    note          String,
    updated_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = {{engine "datasets" "ReplacingMergeTree" "updated_at"}}
ORDER BY (name, version);

CREATE TABLE IF NOT EXISTS dataset_items{{.OnCluster}}
(
    dataset       LowCardinality(String),
    version       UInt32,
    case_id       String,
    input         String CODEC(ZSTD(3)),
    expected      String CODEC(ZSTD(3)),
    tags          Array(LowCardinality(String)),
    change_types  Array(LowCardinality(String)),
    provenance    String,
    snapshot      String CODEC(ZSTD(3)),
    item_hash     String
)
ENGINE = {{engine "dataset_items" "ReplacingMergeTree"}}
ORDER BY (dataset, version, case_id);
