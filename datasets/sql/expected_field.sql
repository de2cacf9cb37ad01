-- One key of the expected object of every case of the versions named:
-- its raw JSON value, for the cases that have the key.
SELECT dataset, version, case_id, JSONExtractRaw(expected, @field) AS value
FROM dataset_items FINAL
WHERE (dataset, version) IN (SELECT arrayJoin(arrayZip(@names, @versions)))
  AND JSONHas(expected, @field)
ORDER BY dataset, version, case_id
