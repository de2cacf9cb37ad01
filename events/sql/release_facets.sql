-- The release's events per facet: each kind, model, prompt version, tool,
-- policy version and contract violation, with its events and its first
-- and last event. A tool's schema versions are the values its events
-- carry in attribute evalhouse.tool.schema_version (a string, or a number
-- as written). FINAL: a redelivered event counts once.
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
WHERE f.2 != '' AND {{template "release_selected" .}}
GROUP BY facet, value
ORDER BY facet, value
