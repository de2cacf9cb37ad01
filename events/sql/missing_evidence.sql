-- Per release: the runs in the filter that retrieved, and those of them
-- whose every retrieval returned no source (missing evidence).
SELECT release, toUInt64(count()) AS runs, toUInt64(countIf(found = 0)) AS missing
FROM (
    SELECT tenant, run_id, any(release) AS release, countIf(notEmpty(source_ids)) AS found
    FROM agent_events{{.Final}}
    WHERE kind = 'retrieval' AND run_id != ''{{range .Where}} AND {{.}}{{end}}
    GROUP BY tenant, run_id)
GROUP BY release
ORDER BY release
