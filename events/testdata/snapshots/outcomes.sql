SELECT if(decision_rank = 0, '', version) AS v, decision_rank, want, count(),
       groupArraySortedIf(@misses)((tenant, run_id, trace, ds, cs),
           greatest(decision_rank, 1) != multiIf(want = 'deny', 3, want = 'require_approval', 2, want = 'allow', 1, 0))
FROM (
    SELECT tenant, run_id, trace, ds, cs, decision_rank, version,
           transform(concat(ds, '\0', cs), @cases, @wants, '') AS want
    FROM (SELECT tenant, run_id,
       max(trace_id) AS trace,
       max(dataset) AS ds,
       max(case_id) AS cs,
       max(decision_rank) AS decision_rank,
       argMaxMerge(decision_version) AS version
FROM run_summaries
WHERE (tenant, run_id) IN (
    SELECT tenant, run_id FROM run_summaries
    WHERE run_id != '' AND case_id != '' AND dataset != '' AND started_at >= fromUnixTimestamp64Micro(@p0, 'UTC') AND started_at < fromUnixTimestamp64Micro(@p1, 'UTC'))
GROUP BY tenant, run_id
)
)
WHERE want != ''
GROUP BY v, decision_rank, want
ORDER BY v, decision_rank, want
;
SELECT DISTINCT dataset FROM run_summaries
WHERE run_id != '' AND case_id != '' AND dataset != '' AND started_at >= fromUnixTimestamp64Micro(@p0, 'UTC') AND started_at < fromUnixTimestamp64Micro(@p1, 'UTC')
ORDER BY dataset
;
SELECT if(decision_rank = 0, '', version) AS v, decision_rank, want, count(),
       groupArraySortedIf(@misses)((tenant, run_id, trace, ds, cs),
           greatest(decision_rank, 1) != multiIf(want = 'deny', 3, want = 'require_approval', 2, want = 'allow', 1, 0))
FROM (
    SELECT tenant, run_id, trace, ds, cs, decision_rank, version,
           transform(concat(ds, '\0', cs), @cases, @wants, '') AS want
    FROM (SELECT tenant, run_id,
       anyIf(trace_id, kind = 'run') AS trace,
       anyIf(dataset, kind = 'run') AS ds,
       anyIf(case_id, kind = 'run') AS cs,
       toUInt8(maxIf(rank, kind = 'policy')) AS decision_rank,
       argMaxIf(policy_version, (rank, ts), kind = 'policy') AS version
FROM (
    SELECT tenant, run_id, trace_id, kind, dataset, case_id, ts, policy_version,
           multiIf(decision = 'deny', 3, decision = 'require_approval', 2, decision = 'allow', 1, 0) AS rank
    FROM agent_events FINAL
    WHERE (tenant, run_id) IN (
        SELECT tenant, run_id FROM agent_events FINAL
        WHERE kind = 'run' AND run_id != '' AND case_id != '' AND dataset != '' AND ts >= fromUnixTimestamp64Micro(@p0, 'UTC') AND ts < fromUnixTimestamp64Micro(@p1, 'UTC')))
GROUP BY tenant, run_id
)
)
WHERE want != ''
GROUP BY v, decision_rank, want
ORDER BY v, decision_rank, want
;
SELECT DISTINCT dataset FROM agent_events FINAL
WHERE kind = 'run' AND run_id != '' AND case_id != '' AND dataset != '' AND ts >= fromUnixTimestamp64Micro(@p0, 'UTC') AND ts < fromUnixTimestamp64Micro(@p1, 'UTC')
ORDER BY dataset
;
SELECT if(decision_rank = 0, '', version) AS v, decision_rank, want, count(),
       groupArraySortedIf(@misses)((tenant, run_id, trace, ds, cs),
           greatest(decision_rank, 1) != multiIf(want = 'deny', 3, want = 'require_approval', 2, want = 'allow', 1, 0))
FROM (
    SELECT tenant, run_id, trace, ds, cs, decision_rank, version,
           transform(concat(ds, '\0', cs), @cases, @wants, '') AS want
    FROM (SELECT tenant, run_id,
       anyIf(trace_id, kind = 'run') AS trace,
       anyIf(dataset, kind = 'run') AS ds,
       anyIf(case_id, kind = 'run') AS cs,
       toUInt8(maxIf(rank, kind = 'policy')) AS decision_rank,
       argMaxIf(policy_version, (rank, ts), kind = 'policy') AS version
FROM (
    SELECT tenant, run_id, trace_id, kind, dataset, case_id, ts, policy_version,
           multiIf(decision = 'deny', 3, decision = 'require_approval', 2, decision = 'allow', 1, 0) AS rank
    FROM agent_events FINAL
    WHERE (tenant, run_id) IN (
        SELECT tenant, run_id FROM agent_events FINAL
        WHERE kind = 'run' AND run_id != '' AND case_id != '' AND dataset != '' AND ts >= fromUnixTimestamp64Micro(@p0, 'UTC') AND ts < fromUnixTimestamp64Micro(@p1, 'UTC') AND tenant = @p2 AND release IN @p3))
GROUP BY tenant, run_id
)
)
WHERE want != ''
GROUP BY v, decision_rank, want
ORDER BY v, decision_rank, want
;
SELECT toString(source), toString(release), type, toUInt64(sum(n))
FROM agent_events ARRAY JOIN mapKeys(redaction_counts) AS type, mapValues(redaction_counts) AS n
WHERE redactions > 0 AND ts >= fromUnixTimestamp64Micro(@p0, 'UTC') AND ts < fromUnixTimestamp64Micro(@p1, 'UTC')
GROUP BY source, release, type
ORDER BY source, release, type
;
SELECT toString(source), toString(release), type, toUInt64(sum(n))
FROM agent_events FINAL ARRAY JOIN mapKeys(redaction_counts) AS type, mapValues(redaction_counts) AS n
WHERE redactions > 0 AND ts >= fromUnixTimestamp64Micro(@p0, 'UTC') AND ts < fromUnixTimestamp64Micro(@p1, 'UTC') AND tool = @p2
GROUP BY source, release, type
ORDER BY source, release, type
;
SELECT release, toUInt64(count()) AS runs, toUInt64(countIf(found = 0)) AS missing
FROM (
    SELECT tenant, run_id, any(release) AS release, countIf(notEmpty(source_ids)) AS found
    FROM agent_events
    WHERE kind = 'retrieval' AND run_id != '' AND ts >= fromUnixTimestamp64Micro(@p0, 'UTC') AND ts < fromUnixTimestamp64Micro(@p1, 'UTC')
    GROUP BY tenant, run_id)
GROUP BY release
ORDER BY release
;
SELECT tool,
       toUInt64(count()) AS calls,
       toUInt64(countIf(authorization = 'approval_required')) AS required,
       toUInt64(countIf(approved_at = 0 OR approved_at > at)) AS unapproved,
       toUInt64(countIf(authorization = 'approval_required' AND (approved_at = 0 OR approved_at > at))) AS required_unapproved
FROM (
    SELECT tenant, run_id, tool, authorization, toUnixTimestamp64Micro(ts) AS at
    FROM agent_events
    WHERE kind = 'tool' AND side_effect IN ('write', 'external') AND ts >= fromUnixTimestamp64Micro(@p0, 'UTC') AND ts < fromUnixTimestamp64Micro(@p1, 'UTC')) AS c
LEFT JOIN (
    SELECT tenant, run_id, toUnixTimestamp64Micro(min(ts)) AS approved_at
    FROM agent_events
    WHERE kind = 'approval' AND result = 'approved' AND run_id != '' AND ts >= fromUnixTimestamp64Micro(@p0, 'UTC') AND ts < fromUnixTimestamp64Micro(@p1, 'UTC')
    GROUP BY tenant, run_id) AS a USING (tenant, run_id)
GROUP BY tool
ORDER BY tool
;
SELECT source,
       toUInt64(count()) AS ingests,
       sum(accepted) AS accepted,
       sum(rejected) AS rejected,
       sum(expired) AS expired,
       sum(duplicates) AS duplicates,
       sum(conflicts) AS conflicts
FROM ingest_log
WHERE started_at >= fromUnixTimestamp64Micro(@since, 'UTC') AND started_at < fromUnixTimestamp64Micro(@until, 'UTC')
GROUP BY source
ORDER BY source
