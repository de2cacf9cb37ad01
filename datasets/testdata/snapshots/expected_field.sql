SELECT dataset, version, case_id, JSONExtractRaw(expected, @field) AS value
FROM dataset_items FINAL
WHERE (dataset, version) IN (SELECT arrayJoin(arrayZip(@names, @versions)))
  AND JSONHas(expected, @field)
ORDER BY dataset, version, case_id
