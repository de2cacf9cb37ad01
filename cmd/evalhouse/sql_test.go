package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// selectStarEverywhere runs `evalhouse sql "SELECT * FROM t"` for every
// table in the store, in every --format, and checks each answers with every
// row: a user can look at any table evalhouse created. Called at the end of
// TestReleaseLoop, when every table holds rows.
func selectStarEverywhere(t *testing.T, store string) {
	t.Helper()
	out, code := run(t, nil, store, "sql", "--format", "tsv", "SELECT name FROM system.tables WHERE database = currentDatabase() AND NOT is_temporary ORDER BY name")
	if code != 0 {
		t.Fatalf("list tables: exit %d\n%s", code, out)
	}
	tables := strings.Split(strings.TrimSpace(out), "\n")[1:]
	if len(tables) < 9 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	for _, table := range tables {
		if strings.HasPrefix(table, ".inner") {
			continue
		}
		want := sqlCount(t, store, "SELECT count() FROM "+table)
		for _, f := range []string{"table", "json", "csv", "tsv"} {
			out, code := run(t, nil, store, "sql", "--format", f, "SELECT * FROM "+table)
			if code != 0 {
				t.Errorf("SELECT * FROM %s --format %s: exit %d\n%s", table, f, code, out)
				continue
			}
			if f != "json" {
				continue
			}
			var rows []map[string]any
			if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != want {
				t.Errorf("SELECT * FROM %s as json: %d rows, count() says %d (%v)", table, len(rows), want, err)
			}
			if table == "model_usage_hourly" && len(rows) > 0 {
				// The quantiles state is shown finalized: p50, p95, p99.
				if q, ok := rows[0]["latency_ms"].([]any); !ok || len(q) != 3 {
					t.Errorf("latency_ms shown as %v, want three quantiles", rows[0]["latency_ms"])
				}
			}
		}
	}
}
