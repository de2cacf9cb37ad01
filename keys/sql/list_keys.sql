-- Every key (or the one named), newest version of each: what `keys list`
-- shows. Never the hash.
SELECT name, role, tenant, created_at, created_by, revoked_at, revoked_by
FROM api_keys FINAL{{if .Name}}
WHERE name = @name{{end}}
ORDER BY created_at, name
