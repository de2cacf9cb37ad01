-- The query model's statement (Aggregate): the select list, the filter
-- and the grouping are the catalog's expressions in aggregate.go; every
-- value is bound. Rows in bucket, then dimension order.
SELECT {{join .Select ",\n       "}}
FROM {{.Table}}{{.Final}}{{.Where}}
{{- if .Group}}
GROUP BY {{join .Group ", "}}
ORDER BY {{join .Group ", "}}{{end}}
