SELECT toString(model) AS d0,
       ifNull(toFloat64(sum(calls)), 0) AS m0,
       ifNull(toFloat64(sum(cost_usd)), 0) AS m1,
       ifNull(toFloat64(sum(input_tokens)), 0) AS m2
FROM model_usage_hourly
GROUP BY d0
ORDER BY d0
;
SELECT toString(model) AS d0,
       ifNull(toFloat64(countIf(kind = 'model')), 0) AS m0,
       ifNull(toFloat64(sum(cost_usd)), 0) AS m1,
       ifNull(toFloat64(sum(input_tokens)), 0) AS m2
FROM agent_events WHERE kind IN @p0
GROUP BY d0
ORDER BY d0
;
SELECT release AS d0,
       ifNull(toFloat64(uniqExactIf(cityHash64(run_id), run_id != '')), 0) AS m0,
       ifNull(toFloat64(count()), 0) AS m1,
       ifNull(toFloat64(countIf(status = 'error')), 0) AS m2,
       ifNull(toFloat64(countIf(status = 'error') / count()), 0) AS m3,
       ifNull(toFloat64(countIf(kind = 'policy' AND decision = 'deny')), 0) AS m4,
       ifNull(toFloat64(sum(length(contract_violations))), 0) AS m5,
       ifNull(toFloat64(sum(cost_usd) / greatest(uniqExactIf(cityHash64(run_id), run_id != ''), 1)), 0) AS m6
FROM agent_events
GROUP BY d0
ORDER BY d0
;
SELECT toString(tenant) AS d0,
       ifNull(toFloat64(uniqExact(cityHash64(run_id))), 0) AS m0,
       ifNull(toFloat64(sum(cost_usd)), 0) AS m1,
       ifNull(toFloat64(sum(cost_usd) / greatest(uniqExact(cityHash64(run_id)), 1)), 0) AS m2,
       ifNull(toFloat64(sum(model_calls)), 0) AS m3
FROM run_summaries
GROUP BY d0
ORDER BY d0
;
SELECT toString(tenant) AS d0,
       ifNull(toFloat64(uniqExactIf(cityHash64(run_id), run_id != '')), 0) AS m0,
       ifNull(toFloat64(sum(cost_usd)), 0) AS m1,
       ifNull(toFloat64(sum(cost_usd) / greatest(uniqExactIf(cityHash64(run_id), run_id != ''), 1)), 0) AS m2,
       ifNull(toFloat64(countIf(kind = 'model')), 0) AS m3
FROM agent_events
GROUP BY d0
ORDER BY d0
;
SELECT if((toString(tenant), toString(environment)) IN (SELECT toString(tenant), toString(environment) FROM agent_events GROUP BY toString(tenant), toString(environment) ORDER BY count() DESC, toString(tenant), toString(environment) LIMIT @p0), toString(tenant), @p1) AS d0,
       if((toString(tenant), toString(environment)) IN (SELECT toString(tenant), toString(environment) FROM agent_events GROUP BY toString(tenant), toString(environment) ORDER BY count() DESC, toString(tenant), toString(environment) LIMIT @p0), toString(environment), @p1) AS d1,
       ifNull(toFloat64(count()), 0) AS m0,
       ifNull(toFloat64(quantileExactInclusive(0.5)(duration_ms)), 0) AS m1
FROM agent_events
GROUP BY d0, d1
ORDER BY d0, d1
;
SELECT toStartOfInterval(started_at, INTERVAL 3600 SECOND, 'UTC') AS bucket,
       ifNull(toFloat64(sum(events)), 0) AS m0
FROM run_summaries
GROUP BY bucket
ORDER BY bucket
;
SELECT JSONExtractString(attributes, @p0) AS d0,
       ifNull(toFloat64(count()), 0) AS m0
FROM agent_events WHERE tenant = @p1 AND JSONExtractString(attributes, @p2) = @p3
GROUP BY d0
ORDER BY d0
