-- Per source: the ingests started in [@since, @until) and what they were
-- told: accepted, rejected, expired, duplicate and conflicting events.
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
