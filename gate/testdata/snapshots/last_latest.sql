SELECT evidence
FROM gate_decisions
WHERE release = @release
  AND dataset = @dataset
  AND dataset_version = @version
ORDER BY decided_at DESC, seq DESC
LIMIT 1
