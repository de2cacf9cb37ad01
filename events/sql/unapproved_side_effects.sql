-- Per tool: its side-effect calls (write or external) in the filter, how
-- many of them needed approval, and how many had no approval granted in
-- their run before them (approved_at, microseconds: the first approval with result
-- approved; 0 when none), in all and among those that needed it.
SELECT tool,
       toUInt64(count()) AS calls,
       toUInt64(countIf(authorization = 'approval_required')) AS required,
       toUInt64(countIf(approved_at = 0 OR approved_at > at)) AS unapproved,
       toUInt64(countIf(authorization = 'approval_required' AND (approved_at = 0 OR approved_at > at))) AS required_unapproved
FROM (
    SELECT tenant, run_id, tool, authorization, toUnixTimestamp64Micro(ts) AS at
    FROM agent_events{{.Final}}
    WHERE kind = 'tool' AND side_effect IN ('write', 'external'){{range .Where}} AND {{.}}{{end}}) AS c
LEFT JOIN (
    SELECT tenant, run_id, toUnixTimestamp64Micro(min(ts)) AS approved_at
    FROM agent_events{{.Final}}
    WHERE kind = 'approval' AND result = 'approved' AND run_id != ''{{range .Where}} AND {{.}}{{end}}
    GROUP BY tenant, run_id) AS a USING (tenant, run_id)
GROUP BY tool
ORDER BY tool
