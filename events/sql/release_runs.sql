-- Runs, failed runs, events, cost and tokens per release.
SELECT release,
       countIf(kind = 'run') AS runs,
       countIf(kind = 'run' AND status = 'error') AS failed_runs,
       count() AS events,
       sum(cost_usd) AS cost_usd,
       sum(input_tokens + output_tokens) AS total_tokens
FROM agent_events FINAL
WHERE 1{{template "selected" .}}
GROUP BY release
ORDER BY release
