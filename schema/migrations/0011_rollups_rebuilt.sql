-- The rollups gain what the cost and policy reports read from raw rows
-- before: model_usage_hourly its calls' cache-read tokens and the priced and
-- reported parts of their cost; run_summaries each run's decision (the rank
-- of its most restrictive policy event: deny 3, require_approval 2, allow 1,
-- 0 for none) and the policy version of the event that made it.
--
-- Both are rebuilt from agent_events, each view replaced before its table is
-- refilled, so rows stored before this migration count in the new columns.
-- Every statement can run again after a failure. Rows written while it runs
-- can be counted twice or missed: stop the writers to a server first (an
-- embedded store is migrated by the process that owns it). On a cluster the
-- refill copies the rows of the shard it runs on.
DROP VIEW IF EXISTS model_usage_hourly_mv{{.OnCluster}};

ALTER TABLE model_usage_hourly{{.OnCluster}}
    ADD COLUMN IF NOT EXISTS cache_read_tokens SimpleAggregateFunction(sum, UInt64) AFTER output_tokens,
    ADD COLUMN IF NOT EXISTS cost_priced SimpleAggregateFunction(sum, Float64) AFTER cost_usd,
    ADD COLUMN IF NOT EXISTS cost_reported SimpleAggregateFunction(sum, Float64) AFTER cost_priced;

TRUNCATE TABLE IF EXISTS model_usage_hourly{{.OnCluster}};

CREATE MATERIALIZED VIEW IF NOT EXISTS model_usage_hourly_mv{{.OnCluster}} TO model_usage_hourly AS
SELECT
    toStartOfHour(ts) AS hour, tenant, environment, release, model,
    count() AS calls,
    countIf(status = 'error') AS errors,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(simpleJSONExtractUInt(attributes, 'gen_ai.usage.cache_read.input_tokens')) AS cache_read_tokens,
    sum(cost_usd) AS cost_usd,
    sumIf(agent_events.cost_usd, startsWith(cost_source, 'price_table@')) AS cost_priced,
    sumIf(agent_events.cost_usd, NOT startsWith(cost_source, 'price_table@')) AS cost_reported,
    quantilesTDigestState(0.5, 0.95, 0.99)(if(latency_ms > 0, latency_ms, duration_ms)) AS latency_ms
FROM agent_events
WHERE kind = 'model'
GROUP BY hour, tenant, environment, release, model;

INSERT INTO model_usage_hourly (hour, tenant, environment, release, model, calls, errors, input_tokens, output_tokens,
    cache_read_tokens, cost_usd, cost_priced, cost_reported, latency_ms)
SELECT
    toStartOfHour(ts) AS hour, tenant, environment, release, model,
    count(),
    countIf(status = 'error'),
    sum(input_tokens),
    sum(output_tokens),
    sum(simpleJSONExtractUInt(attributes, 'gen_ai.usage.cache_read.input_tokens')),
    sum(cost_usd),
    sumIf(agent_events.cost_usd, startsWith(cost_source, 'price_table@')),
    sumIf(agent_events.cost_usd, NOT startsWith(cost_source, 'price_table@')),
    quantilesTDigestState(0.5, 0.95, 0.99)(if(latency_ms > 0, latency_ms, duration_ms))
FROM agent_events
WHERE kind = 'model'
GROUP BY hour, tenant, environment, release, model;

DROP VIEW IF EXISTS run_summaries_mv{{.OnCluster}};

ALTER TABLE run_summaries{{.OnCluster}}
    ADD COLUMN IF NOT EXISTS decision_rank SimpleAggregateFunction(max, UInt8) AFTER policy_denials,
    ADD COLUMN IF NOT EXISTS decision_version AggregateFunction(argMax, String, Tuple(UInt8, DateTime64(6, 'UTC'))) AFTER decision_rank;

TRUNCATE TABLE IF EXISTS run_summaries{{.OnCluster}};

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
    max(toUInt8(if(kind = 'policy', multiIf(decision = 'deny', 3, decision = 'require_approval', 2, decision = 'allow', 1, 0), 0))) AS decision_rank,
    argMaxState(toString(policy_version), (toUInt8(if(kind = 'policy', multiIf(decision = 'deny', 3, decision = 'require_approval', 2, decision = 'allow', 1, 0), 0)), ts)) AS decision_version,
    sum(length(contract_violations)) AS contract_violations,
    sum(redactions) AS redactions
FROM agent_events
GROUP BY tenant, environment, release, run_id;

INSERT INTO run_summaries (tenant, environment, release, run_id, trace_id, dataset, case_id, run_status, stop_reason,
    started_at, ended_at, events, model_calls, tool_calls, error_events, input_tokens, output_tokens, cost_usd,
    policy_denials, decision_rank, decision_version, contract_violations, redactions)
SELECT
    tenant, environment, release, run_id,
    max(trace_id),
    max(dataset),
    max(case_id),
    max(if(kind = 'run', toString(status), '')),
    max(if(kind = 'run', toString(stop_reason), '')),
    min(ts),
    max(ts + toIntervalMicrosecond(toInt64(duration_ms * 1000))),
    count(),
    countIf(kind = 'model'),
    countIf(kind = 'tool'),
    countIf(status = 'error'),
    sum(input_tokens),
    sum(output_tokens),
    sum(cost_usd),
    countIf(kind = 'policy' AND decision = 'deny'),
    max(toUInt8(if(kind = 'policy', multiIf(decision = 'deny', 3, decision = 'require_approval', 2, decision = 'allow', 1, 0), 0))),
    argMaxState(toString(policy_version), (toUInt8(if(kind = 'policy', multiIf(decision = 'deny', 3, decision = 'require_approval', 2, decision = 'allow', 1, 0), 0)), ts)),
    sum(length(contract_violations)),
    sum(redactions)
FROM agent_events
GROUP BY tenant, environment, release, run_id;
