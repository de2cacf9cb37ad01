-- One row per run, kept current by a materialized view over agent_events.
-- SimpleAggregateFunction columns merge in the background; read with
-- GROUP BY (or FINAL) for exact values.
CREATE TABLE IF NOT EXISTS run_summaries{{.OnCluster}}
(
    tenant              LowCardinality(String),
    environment         LowCardinality(String),
    release             LowCardinality(String),
    run_id              String,
    trace_id            SimpleAggregateFunction(max, String),
    dataset             SimpleAggregateFunction(max, String),
    case_id             SimpleAggregateFunction(max, String),
    run_status          SimpleAggregateFunction(max, String),
    stop_reason         SimpleAggregateFunction(max, String),
    started_at          SimpleAggregateFunction(min, DateTime64(6, 'UTC')),
    ended_at            SimpleAggregateFunction(max, DateTime64(6, 'UTC')),
    events              SimpleAggregateFunction(sum, UInt64),
    model_calls         SimpleAggregateFunction(sum, UInt64),
    tool_calls          SimpleAggregateFunction(sum, UInt64),
    error_events        SimpleAggregateFunction(sum, UInt64),
    input_tokens        SimpleAggregateFunction(sum, UInt64),
    output_tokens       SimpleAggregateFunction(sum, UInt64),
    cost_usd            SimpleAggregateFunction(sum, Float64),
    policy_denials      SimpleAggregateFunction(sum, UInt64),
    contract_violations SimpleAggregateFunction(sum, UInt64),
    redactions          SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{engine "run_summaries" "AggregatingMergeTree"}}
ORDER BY (tenant, environment, release, run_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS run_summaries_mv{{.OnCluster}} TO run_summaries AS
SELECT
    tenant, environment, release, run_id,
    max(trace_id) AS trace_id,
    max(dataset) AS dataset,
    max(case_id) AS case_id,
    max(if(kind = 'run', toString(status), '')) AS run_status,
    max(if(kind = 'run', toString(stop_reason), '')) AS stop_reason,
    min(ts) AS started_at,
    max(ts + toIntervalMicrosecond(toInt64(duration_ms * 1000))) AS ended_at,
    count() AS events,
    countIf(kind = 'model') AS model_calls,
    countIf(kind = 'tool') AS tool_calls,
    countIf(status = 'error') AS error_events,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cost_usd) AS cost_usd,
    countIf(kind = 'policy' AND decision = 'deny') AS policy_denials,
    sum(length(contract_violations)) AS contract_violations,
    sum(redactions) AS redactions
FROM agent_events
GROUP BY tenant, environment, release, run_id;
