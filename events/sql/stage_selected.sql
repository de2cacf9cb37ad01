-- The runs a StageFilter selects, by their run event: the release's runs
-- in the environment (and tenants) that started in [since, until).
(tenant, run_id) IN (
    SELECT tenant, run_id FROM agent_events
    WHERE kind = 'run' AND run_id != '' AND release = @release AND environment = @environment
      AND ts >= fromUnixTimestamp64Micro(@since, 'UTC') AND ts < fromUnixTimestamp64Micro(@until, 'UTC')
      {{- if .Tenants}} AND tenant IN @tenants{{end}})
