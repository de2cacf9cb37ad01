-- Hourly rollup of model calls for cost and latency trends. Quantiles need
-- AggregateFunction states (a SummingMergeTree would sum them wrongly).
-- Rollups serve reports; gates read exact rows, never rollups.
CREATE TABLE IF NOT EXISTS model_usage_hourly{{.OnCluster}}
(
    hour           DateTime('UTC'),
    tenant         LowCardinality(String),
    environment    LowCardinality(String),
    release        LowCardinality(String),
    model          LowCardinality(String),
    calls          SimpleAggregateFunction(sum, UInt64),
    errors         SimpleAggregateFunction(sum, UInt64),
    input_tokens   SimpleAggregateFunction(sum, UInt64),
    output_tokens  SimpleAggregateFunction(sum, UInt64),
    cost_usd       SimpleAggregateFunction(sum, Float64),
    latency_ms     AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64)
)
ENGINE = {{engine "model_usage_hourly" "AggregatingMergeTree"}}
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, environment, hour, release, model);

CREATE MATERIALIZED VIEW IF NOT EXISTS model_usage_hourly_mv{{.OnCluster}} TO model_usage_hourly AS
SELECT
    toStartOfHour(ts) AS hour, tenant, environment, release, model,
    count() AS calls,
    countIf(status = 'error') AS errors,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cost_usd) AS cost_usd,
    quantilesTDigestState(0.5, 0.95, 0.99)(if(latency_ms > 0, latency_ms, duration_ms)) AS latency_ms
FROM agent_events
WHERE kind = 'model'
GROUP BY hour, tenant, environment, release, model;
