-- The dataset versions a release's gate decisions used: per version, how
-- many decisions, the latest one's verdict (newest decided_at, then the
-- highest seq) and when it was made. Decisions that errored before a
-- dataset was resolved name none and are left out.
SELECT dataset, dataset_version, toUInt64(count()), toString(argMax(verdict, (decided_at, seq))), max(decided_at)
FROM gate_decisions
WHERE release = @release AND dataset != ''
GROUP BY dataset, dataset_version
ORDER BY dataset, dataset_version
