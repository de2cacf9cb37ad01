-- Run-level measures of the selected runs: cost is the sum of a run's
-- model calls, latency its run event's duration, an error a run event
-- whose status is error.
SELECT count(), quantileExact(0.95)(cost), avg(cost), quantileExact(0.95)(dur), avg(err), sum(cv)
FROM (
    SELECT sumIf(cost_usd, kind = 'model') AS cost,
           maxIf(duration_ms, kind = 'run') AS dur,
           toFloat64(maxIf(status = 'error', kind = 'run')) AS err,
           sum(length(contract_violations)) AS cv
    FROM agent_events FINAL
    WHERE 1{{template "selected" .}}
    GROUP BY tenant, run_id)
