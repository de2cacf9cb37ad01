package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The report commands as an analyst runs them: every preset in JSON,
// a CSV file written with --out, a query of one's own, and refusals that
// name the flag.
func TestReportCommands(t *testing.T) {
	store, _ := storeFlag(t)
	if out, code := run(t, nil, store, "ingest", filepath.Join(examples, "events-2.3.1.ndjson"), filepath.Join(examples, "events-2.4.0.ndjson")); code != 0 {
		t.Fatal(out)
	}
	for _, name := range []string{"cost", "latency", "tools", "policy", "rag", "quality"} {
		out, code := run(t, nil, store, "report", name, "--format", "json")
		var r struct {
			Report string `json:"report"`
			Tables []struct {
				Title string            `json:"title"`
				Rows  []json.RawMessage `json:"rows"`
			} `json:"tables"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Report != name || len(r.Tables) == 0 {
			t.Fatalf("report %s: exit %d\n%s", name, code, out)
		}
		rows := 0
		for _, tab := range r.Tables {
			rows += len(tab.Rows)
		}
		if rows == 0 {
			t.Errorf("report %s: no rows", name)
		}
	}
	csvFile := filepath.Join(t.TempDir(), "cost.csv")
	if out, code := run(t, nil, store, "report", "cost", "--since", "7d", "--release", "2.4.0", "--format", "csv", "--out", csvFile); code != 0 {
		t.Fatal(out)
	}
	b, err := os.ReadFile(csvFile)
	if err != nil || !strings.Contains(string(b), "Cost by release,2.4.0,28,") || strings.Contains(string(b), "2.3.1") {
		t.Errorf("cost.csv (%v):\n%s", err, b)
	}
	out, code := run(t, nil, store, "report", "query", "--metric", "runs,cost_usd", "--by", "release", "--format", "markdown")
	if code != 0 || !strings.Contains(out, "| release | runs | cost_usd |") || !strings.Contains(out, "| 2.4.0 | 28 | ") {
		t.Errorf("query: exit %d\n%s", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"query", "--metric", "cost"}, `unknown metric "cost"`},
		{[]string{"cost", "--by", "input"}, `--by: query: unknown dimension "input"`},
		{[]string{"cost", "--since", "yesterday"}, `--since "yesterday"`},
		{[]string{"cost", "--since", "1h", "--until", "2h"}, "the window is empty"},
		{[]string{"cost", "--format", "xml"}, `format "xml"`},
		{[]string{"cost", "--tz", "Mars/Olympus"}, `--tz "Mars/Olympus"`},
		{[]string{"cost", "--attr", "channel"}, `--attr "channel"`},
		{[]string{"query", "--metric", "events", "--kind", "span"}, `--kind "span"`},
	} {
		out, code := run(t, nil, append([]string{store, "report"}, c.args...)...)
		if code != exitUsage || !strings.Contains(out, c.want) {
			t.Errorf("report %v: exit %d, want %d and %q\n%s", c.args, code, exitUsage, c.want, out)
		}
	}
}
