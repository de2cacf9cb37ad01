-- Secrets replaced by markers, per source, release and type, of the
-- events in the filter.
SELECT toString(source), toString(release), type, toUInt64(sum(n))
FROM agent_events{{.Final}} ARRAY JOIN mapKeys(redaction_counts) AS type, mapValues(redaction_counts) AS n
WHERE redactions > 0{{range .Where}} AND {{.}}{{end}}
GROUP BY source, release, type
ORDER BY source, release, type
