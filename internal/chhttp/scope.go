package chhttp

import (
	"sort"
	"strings"

	"github.com/evalhouse/evalhouse/internal/auth"
)

// What a key that is not an admin's may see through the interface, by
// table, applied by the engine itself: every read of such a key runs on a
// --readonly=1 connection whose additional_table_filters the client can
// neither change (readonly=1 refuses SET) nor escape (its subqueries, joins
// and views are filtered too; table functions that read tables by name,
// such as merge(), are refused to tenant-scoped keys, see judge).

// tenantTables hold a tenant column: a tenant-scoped key sees its rows.
var tenantTables = []string{"agent_events", "eval_results", "run_summaries", "model_usage_hourly"}

// sharedTables hold no tenant column: a tenant-scoped key sees none of
// their rows (gate decisions and datasets span tenants).
var sharedTables = []string{"ingest_log", "datasets", "dataset_items", "incidents", "gate_decisions", "stage_decisions", "release_stages",
	"schema_migrations"}

// secretTables are an admin's alone: no other key sees a row of them.
var secretTables = []string{"api_keys", "system.processes", "system.query_log", "system.processes_log",
	"system.query_thread_log", "system.session_log", "system.text_log", "system.users", "system.settings_changes"}

// scopedTableFunctions are the table functions a tenant-scoped key may
// use: they read no table by name, or (view) read through the filters.
var scopedTableFunctions = map[string]bool{"numbers": true, "numbers_mt": true, "zeros": true, "zeros_mt": true,
	"generateseries": true, "generate_series": true, "values": true, "view": true, "null": true}

// reservedSettings are settings a client may not send: they are the
// scope's (or the connection's), not the client's.
var reservedSettings = map[string]bool{"additional_table_filters": true, "readonly": true, "additional_result_filter": true}

// scopeSettings are the settings that confine p's reads: none for an
// admin (or evalhouse's own code), the secret tables for every other key,
// and for a tenant-scoped key its tenant's rows and no shared rows.
func scopeSettings(p auth.Principal, ok bool) [][2]string {
	if !ok || p.Role == auth.RoleAdmin {
		return nil
	}
	filters := map[string]string{}
	for _, t := range secretTables {
		filters[t] = "0"
	}
	if p.Tenant != "" {
		for _, t := range tenantTables {
			filters[t] = "tenant = " + quoteString(p.Tenant)
		}
		for _, t := range sharedTables {
			filters[t] = "0"
		}
	}
	keys := make([]string, 0, len(filters))
	for k := range filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteString(k) + ": " + quoteString(filters[k]))
	}
	b.WriteByte('}')
	return [][2]string{{"additional_table_filters", b.String()}}
}

// withScope is the client's settings without reserved ones, then the
// scope's (applied last, so they win).
func withScope(settings [][2]string, scope [][2]string) [][2]string {
	if len(scope) == 0 {
		return settings
	}
	out := make([][2]string, 0, len(settings)+len(scope))
	for _, kv := range settings {
		if !reservedSettings[kv[0]] {
			out = append(out, kv)
		}
	}
	return append(out, scope...)
}

// quoteString is a ClickHouse string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `'`, `\'`) + "'"
}
