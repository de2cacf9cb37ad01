package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/internal/store"
)

// TestGateFailsClosed drives `evalhouse gate` with each bad input a user
// could give it: every one exits 3 and says why; none passes.
func TestGateFailsClosed(t *testing.T) {
	storeArg, dataDir := storeFlag(t)
	ex := exampleRoot
	must := func(want int, args ...string) string {
		t.Helper()
		out, code := run(t, nil, append([]string{storeArg}, args...)...)
		if code != want {
			t.Fatalf("evalhouse %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	must(0, "dataset", "create", "support-bot", "--from", ex+"/datasets/support-bot-v1.jsonl")
	must(0, "ingest", filepath.Join(ex, "support-agent", "events-2.3.1.ndjson"))
	must(0, "eval", "--dataset", "support-bot@v1", "--release", "2.3.1", "--rules", ex+"/rules")
	example, err := os.ReadFile(filepath.Join(ex, "gate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// config writes a variant of examples/gate.yaml (its rules, absolute).
	config := func(name string, edit func(string) string) string {
		t.Helper()
		y := strings.Replace(string(example), "rules: rules", "rules: "+filepath.Join(ex, "rules"), 1)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(edit(y)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	same := func(s string) string { return s }
	gate := func(want int, cfg string, extra ...string) string {
		t.Helper()
		return must(want, append([]string{"gate", "--config", cfg, "--release", "2.3.1"}, extra...)...)
	}
	good := config("gate.yaml", same)
	if out := gate(0, good); !strings.Contains(out, "gate PASS") {
		t.Fatalf("the example gate does not pass 2.3.1:\n%s", out)
	}

	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"nan.yaml", "min_pass_rate: 0.9", "min_pass_rate: .nan", "checks[0].min_pass_rate: must be a number between 0 and 1, got .nan"},
		{"inf.yaml", "max: 0.03", "max: .inf", "checks[4].max: must be a finite number, got .inf"},
		{"rate.yaml", "min_pass_rate: 0.95", "min_pass_rate: 95", "checks[3].min_pass_rate: must be a number between 0 and 1, got 95"},
		{"two-docs.yaml", "change_types:", "---\nchange_types:", "a second YAML document starts at line"},
	} {
		p := config(tc.name, func(s string) string { return strings.Replace(s, tc.from, tc.to, 1) })
		if out := gate(3, p); !strings.Contains(out, tc.want) || !strings.Contains(out, p) {
			t.Errorf("%s: output lacks %q or the file name:\n%s", tc.name, tc.want, out)
		}
	}

	// A kind of change the config does not map: exit 3, unless it names a default.
	if out := gate(3, good, "--change-type", "memory"); !strings.Contains(out, "--change-type memory: change_types does not map it") {
		t.Errorf("unmapped change type:\n%s", out)
	}
	withDefault := config("default.yaml", func(s string) string { return s + "  default: [\"*\"]\n" })
	gate(0, withDefault, "--change-type", "memory")

	// A decision the store cannot record: exit 3, and every evidence file says so.
	s, err := store.Open(context.Background(), "embedded://"+dataDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"RENAME TABLE gate_decisions TO gate_decisions_gone", "CREATE VIEW gate_decisions AS SELECT * FROM gate_decisions_gone"} {
		if err := s.Conn.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	js, md, junit := filepath.Join(dir, "g.json"), filepath.Join(dir, "g.md"), filepath.Join(dir, "g.xml")
	out := gate(3, good, "--json", js, "--markdown", md, "--junit", junit)
	if !strings.Contains(out, "gate ERROR") || !strings.Contains(out, "decision not stored: the gate evaluated to pass") {
		t.Errorf("unstored decision:\n%s", out)
	}
	for path, want := range map[string]string{js: `"stored": false`, md: "| stored | **no**:", junit: `<property name="stored" value="false">`} {
		b, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(b), want) || !strings.Contains(string(b), "decision not stored") {
			t.Errorf("%s lacks %q: %v\n%s", filepath.Base(path), want, err, b)
		}
	}
}
