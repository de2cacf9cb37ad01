WITH if(f.1 = 'tool',
        if(JSONType(attributes, 'evalhouse.tool.schema_version') = 'String',
           JSONExtractString(attributes, 'evalhouse.tool.schema_version'),
           JSONExtractRaw(attributes, 'evalhouse.tool.schema_version')),
        '') AS schema_version
SELECT f.1 AS facet, f.2 AS value, toUInt64(count()), min(ts), max(ts),
       arraySort(groupUniqArrayIf(schema_version, schema_version != ''))
FROM agent_events FINAL
ARRAY JOIN arrayConcat(
    [('kind', toString(kind)),
     ('model', if(kind = 'model', toString(model), '')),
     ('prompt', if(kind = 'model', toString(prompt_version), '')),
     ('tool', if(kind = 'tool', toString(tool), '')),
     ('policy', if(kind = 'policy', toString(policy_version), ''))],
    arrayMap(v -> ('violation', toString(v)), contract_violations)) AS f
WHERE f.2 != '' AND release = @release
GROUP BY facet, value
ORDER BY facet, value
;
SELECT environment, tenant, toUInt64(count()), toUInt64(uniqExactIf(run_id, kind = 'run')),
       toUInt64(countIf(notEmpty(contract_violations))), min(ts), max(ts), max(ingested_at)
FROM agent_events FINAL
WHERE release = @release
GROUP BY environment, tenant
ORDER BY environment, tenant
;
WITH if(f.1 = 'tool',
        if(JSONType(attributes, 'evalhouse.tool.schema_version') = 'String',
           JSONExtractString(attributes, 'evalhouse.tool.schema_version'),
           JSONExtractRaw(attributes, 'evalhouse.tool.schema_version')),
        '') AS schema_version
SELECT f.1 AS facet, f.2 AS value, toUInt64(count()), min(ts), max(ts),
       arraySort(groupUniqArrayIf(schema_version, schema_version != ''))
FROM agent_events FINAL
ARRAY JOIN arrayConcat(
    [('kind', toString(kind)),
     ('model', if(kind = 'model', toString(model), '')),
     ('prompt', if(kind = 'model', toString(prompt_version), '')),
     ('tool', if(kind = 'tool', toString(tool), '')),
     ('policy', if(kind = 'policy', toString(policy_version), ''))],
    arrayMap(v -> ('violation', toString(v)), contract_violations)) AS f
WHERE f.2 != '' AND release = @release AND environment = @environment
GROUP BY facet, value
ORDER BY facet, value
;
SELECT environment, tenant, toUInt64(count()), toUInt64(uniqExactIf(run_id, kind = 'run')),
       toUInt64(countIf(notEmpty(contract_violations))), min(ts), max(ts), max(ingested_at)
FROM agent_events FINAL
WHERE release = @release AND environment = @environment
GROUP BY environment, tenant
ORDER BY environment, tenant
