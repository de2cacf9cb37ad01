-- The most recent decision for a release, optionally on one dataset and
-- one version of it: newest decided_at first, then the highest seq.
SELECT evidence
FROM gate_decisions
WHERE release = @release{{if .Dataset}}
  AND dataset = @dataset{{end}}{{if .Version}}
  AND dataset_version = @version{{end}}
ORDER BY decided_at DESC, seq DESC
LIMIT 1
