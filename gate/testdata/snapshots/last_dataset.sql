SELECT evidence
FROM gate_decisions
WHERE release = @release
  AND dataset = @dataset
ORDER BY decided_at DESC, seq DESC
LIMIT 1
