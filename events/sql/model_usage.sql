-- Model calls, tokens and cost per model.
SELECT model, count() AS calls, sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens, sum(cost_usd) AS cost_usd
FROM agent_events FINAL
WHERE kind = 'model'{{template "selected" .}}
GROUP BY model
ORDER BY cost_usd DESC, model
