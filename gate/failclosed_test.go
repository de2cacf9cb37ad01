package gate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/gate"
)

// publish makes the world runnable end to end, as Run and POST /v1/gates
// see it: support-bot@v1 in the datasets table with the world's cases, and
// a rules directory whose rules' versions the results are written with.
// It returns a config for Run.
func (w *world) publish(t *testing.T) *gate.Config {
	t.Helper()
	dir := t.TempDir()
	rules := `rules:
  - id: task_success
    expr: run.status == "ok"
  - id: no_unapproved_side_effects
    expr: "true"
  - id: tone
    severity: warning
    expr: "true"
`
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := evaluators.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Rules {
		w.rules[r.ID] = gate.Rule{ID: r.ID, Version: r.Version, Severity: r.Severity}
	}
	var cs []datasets.Case
	for _, id := range w.in.Dataset.CaseIDs {
		cs = append(cs, datasets.Case{CaseID: id, Input: "q " + id, Expected: map[string]any{"answer": "a"}})
	}
	if _, err := datasets.New(w.s.Conn).Create(context.Background(), "support-bot", cs, datasets.Provenance{By: "test"}); err != nil {
		t.Fatal(err)
	}
	return cfg(t, baseCfg+"rules: "+dir+"\n")
}

// breakDecisions leaves gate_decisions readable but refusing inserts, as a
// read-only or failing store would.
func breakDecisions(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{"RENAME TABLE gate_decisions TO gate_decisions_gone", "CREATE VIEW gate_decisions AS SELECT * FROM gate_decisions_gone"} {
		if err := w.s.Conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// A --change-type that change_types does not map is an error unless the
// config names a default; it used to turn every rule check into a warning.
func TestGateUnmappedChangeType(t *testing.T) {
	w := newWorld(t, 4)
	w.runs(t, "2.4.0", 4, "")
	w.results(t, "2.4.0", "task_success", 4, 2) // fails 0.75
	w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 1)

	for _, tc := range []struct {
		name, config string
		types        []string
	}{
		{"unmapped", baseCfg, []string{"memory"}},
		{"one of two unmapped", baseCfg, []string{"prompt", "workflow"}},
		{"no change_types at all", strings.Split(baseCfg, "change_types:")[0], []string{"prompt"}},
	} {
		d := evaluate(t, w, cfg(t, tc.config), gate.Options{ChangeTypes: tc.types})
		if d.Verdict != gate.VerdictError || d.ExitCode != 3 || !strings.Contains(strings.Join(d.Reasons, " "), "change_types does not map it") {
			t.Errorf("%s: verdict %s exit %d reasons %v", tc.name, d.Verdict, d.ExitCode, d.Reasons)
		}
	}

	// change_types.default: the rules that block for any unlisted kind.
	d := evaluate(t, w, cfg(t, baseCfg+"  default: [task_success]\n"), gate.Options{ChangeTypes: []string{"memory"}})
	if d.Verdict != gate.Fail || !d.Checks[0].Blocking || d.Checks[1].Blocking || d.Checks[1].Status != gate.Warn {
		t.Fatalf("default [task_success]: %s %+v", d.Verdict, d.Checks)
	}
	// "*": every rule check blocks.
	d = evaluate(t, w, cfg(t, baseCfg+"  default: [\"*\"]\n"), gate.Options{ChangeTypes: []string{"memory"}})
	if d.Verdict != gate.Fail || !d.Checks[0].Blocking || !d.Checks[1].Blocking {
		t.Fatalf("default [*]: %s %+v", d.Verdict, d.Checks)
	}
	// A listed type still uses its own entry, not the default.
	d = evaluate(t, w, cfg(t, baseCfg+"  default: [\"*\"]\n"), gate.Options{ChangeTypes: []string{"tool"}})
	if d.Checks[0].Blocking || !d.Checks[1].Blocking {
		t.Fatalf("tool with a default: %+v", d.Checks)
	}

	// Over HTTP too: a posted config, change_type=memory, exit 3.
	c := w.publish(t)
	w.results(t, "2.4.0", "task_success", 4, 0)
	w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 0)
	srv := httptest.NewServer(gate.Handler(w.s.Conn, gate.RulesDirs(c.RulesDir())))
	defer srv.Close()
	body := baseCfg + "rules: " + c.RulesDir() + "\n"
	resp, err := http.Post(srv.URL+"/v1/gates?change_type=memory", "application/yaml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var got gate.Decision
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	// The API's own parameter is named, not the CLI's flag.
	if reasons := strings.Join(got.Reasons, " "); got.ExitCode != 3 || !strings.Contains(reasons, "change_type memory") || strings.Contains(reasons, "--change-type") {
		t.Fatalf("POST change_type=memory: %d %+v", resp.StatusCode, got)
	}
}

// A decision the store refuses exits 3, and its evidence says it was not
// stored; it used to exit 0 with a warning.
func TestGateDecisionNotStored(t *testing.T) {
	w := newWorld(t, 4)
	c := w.publish(t)
	w.runs(t, "2.4.0", 4, "")
	w.results(t, "2.4.0", "task_success", 4, 0)
	w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 0)
	ctx := context.Background()
	d, err := gate.Run(ctx, w.s.Conn, c, gate.Options{})
	if err != nil || d.Verdict != gate.Pass || !d.Stored {
		t.Fatalf("before: %v %s stored=%v %v", err, d.Verdict, d.Stored, d.Reasons)
	}

	breakDecisions(t, w)
	d, err = gate.Run(ctx, w.s.Conn, c, gate.Options{Commit: "c0ffee"})
	if err == nil || d == nil {
		t.Fatalf("Run with a refusing store: %v %+v", err, d)
	}
	if d.Verdict != gate.VerdictError || d.ExitCode != 3 || d.Stored || d.StoreError == "" ||
		!strings.Contains(d.Reasons[0], "decision not stored: the gate evaluated to pass") || len(d.Checks) != 3 {
		t.Fatalf("unstored decision: %s exit %d stored=%v %q %v", d.Verdict, d.ExitCode, d.Stored, d.StoreError, d.Reasons)
	}
	var js, md, junit, text bytes.Buffer
	d.WriteJSON(&js)
	d.WriteMarkdown(&md)
	d.WriteJUnit(&junit)
	d.WriteText(&text)
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back["stored"] != false || back["exit_code"] != 3.0 || back["store_error"] == "" {
		t.Errorf("json: %v %s", err, js.String())
	}
	if !strings.Contains(md.String(), "| stored | **no**:") || !strings.Contains(md.String(), "ERROR") {
		t.Errorf("markdown:\n%s", md.String())
	}
	validateJUnit(t, junit.Bytes())
	if !strings.Contains(junit.String(), `<property name="stored" value="false">`) || !strings.Contains(junit.String(), `<testcase name="decision stored"`) {
		t.Errorf("junit:\n%s", junit.String())
	}
	if !strings.Contains(text.String(), "gate ERROR") || !strings.Contains(text.String(), "decision NOT stored") {
		t.Errorf("text:\n%s", text.String())
	}

	// POST /v1/gates: 503, and the body is the unstored decision.
	srv := httptest.NewServer(gate.Handler(w.s.Conn, gate.RulesDirs(c.RulesDir())))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/gates", "application/yaml", strings.NewReader(baseCfg+"rules: "+c.RulesDir()+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got gate.Decision
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != 503 || got.ExitCode != 3 || got.Stored {
		t.Fatalf("POST with a refusing store: %d %+v", resp.StatusCode, got)
	}
}

// Decisions made within one second (even one millisecond) come back in the
// order they were made: decided_at keeps milliseconds, seq breaks ties.
func TestGateHistorySameSecond(t *testing.T) {
	w := newWorld(t, 4)
	ctx := context.Background()
	srv := httptest.NewServer(gate.Handler(w.s.Conn))
	defer srv.Close()
	sec := time.Now().UTC().Truncate(time.Second)
	record := func(ms int, commit string) {
		t.Helper()
		at := sec.Add(time.Duration(ms) * time.Millisecond)
		d := evaluate(t, w, cfg(t, baseCfg), gate.Options{Commit: commit, Now: func() time.Time { return at }})
		if err := gate.Record(ctx, w.s.Conn, d); err != nil {
			t.Fatal(err)
		}
	}
	last := func() string {
		t.Helper()
		resp, err := http.Get(srv.URL + "/v1/gates?release=2.4.0&dataset=support-bot@v1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var d gate.Decision
		json.NewDecoder(resp.Body).Decode(&d)
		return d.Commit
	}
	// Recorded out of order: the later decision (by decided_at) is the last.
	record(800, "later")
	record(100, "earlier")
	if got := last(); got != "later" {
		t.Fatalf("last decision: %s, want the one decided at .800", got)
	}
	var ms []int64
	rows, err := w.s.Conn.Query(ctx, "SELECT toUnixTimestamp64Milli(decided_at) - ? FROM gate_decisions ORDER BY decided_at", sec.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, v)
	}
	rows.Close()
	if fmt.Sprint(ms) != "[100 800]" {
		t.Fatalf("decided_at offsets %v ms: the store cut them", ms)
	}
	// The same millisecond: the one recorded second is the last.
	record(900, "first")
	record(900, "second")
	if got := last(); got != "second" {
		t.Fatalf("last decision: %s, want the second of two in the same millisecond", got)
	}
	// Ties are broken by seq, not by the order rows happen to be read in: a
	// row written afterwards with a lower seq (another process, whose clock
	// was behind) does not become the last.
	if err := w.s.Conn.Exec(ctx, `INSERT INTO gate_decisions (decided_at, seq, dataset, dataset_version, release, baseline, verdict, exit_code, commit_sha, owner, evidence)
		SELECT decided_at, seq - 1000000, dataset, dataset_version, release, baseline, verdict, exit_code, 'behind', owner, replaceOne(evidence, '"commit":"second"', '"commit":"behind"')
		FROM gate_decisions WHERE commit_sha = 'second'`); err != nil {
		t.Fatal(err)
	}
	if got := last(); got != "second" {
		t.Fatalf("last decision: %s, want second (highest seq in its millisecond)", got)
	}
}

// Concurrent writers can leave a row twice until a merge collapses it; the
// gate counts it once (every read is FINAL).
func TestGateCountsDuplicateRowsOnce(t *testing.T) {
	w := newWorld(t, 4)
	w.runs(t, "2.4.0", 4, "tool without idempotency key")
	w.results(t, "2.4.0", "task_success", 4, 1)
	c := cfg(t, `
dataset: support-bot@v1
release: "2.4.0"
checks:
  - rule: task_success
    min_pass_rate: 0.5
  - metric: cost_usd_mean
    max: 1
  - metric: contract_violations
    max: 100
`)
	before := evaluate(t, w, c, gate.Options{})
	ctx := context.Background()
	count := func(q string) uint64 {
		t.Helper()
		var n uint64
		if err := w.s.Conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	events, results := count("SELECT count() FROM agent_events"), count("SELECT count() FROM eval_results")
	// Keep the duplicates in place while the gate reads: no merge may
	// collapse them first.
	for _, q := range []string{"SYSTEM STOP MERGES agent_events", "SYSTEM STOP MERGES eval_results",
		"INSERT INTO agent_events SELECT * FROM agent_events"} {
		if err := w.s.Conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { w.s.Conn.Exec(ctx, "SYSTEM START MERGES") })
	w.results(t, "2.4.0", "task_success", 4, 1) // the same results, inserted again
	if n := count("SELECT count() FROM agent_events"); n != 2*events {
		t.Fatalf("%d event rows after duplicating %d", n, events)
	}
	if n := count("SELECT count() FROM eval_results"); n != 2*results {
		t.Fatalf("%d result rows after duplicating %d", n, results)
	}

	after := evaluate(t, w, c, gate.Options{})
	for i := range before.Checks {
		b, a := before.Checks[i], after.Checks[i]
		if a.Observed != b.Observed || a.Total != b.Total || a.Failures != b.Failures {
			t.Errorf("%s with duplicates: observed %v total %d failures %d, want %v %d %d",
				b.Name, a.Observed, a.Total, a.Failures, b.Observed, b.Total, b.Failures)
		}
	}
	if after.Contract.Violations != before.Contract.Violations || before.Contract.Violations == 0 {
		t.Errorf("contract violations %d with duplicates, %d without", after.Contract.Violations, before.Contract.Violations)
	}
	if before.Checks[0].Total != 4 || before.Checks[1].Observed == 0 {
		t.Fatalf("nothing measured: %+v", before.Checks)
	}
}
