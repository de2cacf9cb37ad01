SELECT dataset, dataset_version, toUInt64(count()), toString(argMax(verdict, (decided_at, seq))), max(decided_at)
FROM gate_decisions
WHERE release = @release AND dataset != ''
GROUP BY dataset, dataset_version
ORDER BY dataset, dataset_version
