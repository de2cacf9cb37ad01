package gate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// world is a store with runs of two releases on support-bot@v1 and their
// evaluator results, written as `evalhouse eval` would.
type world struct {
	s     *store.Store
	in    gate.Inputs
	rules map[string]gate.Rule
}

func newWorld(t *testing.T, cases int) *world {
	t.Helper()
	s := storetest.New(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	w := &world{s: s, rules: map[string]gate.Rule{
		"task_success":               {ID: "task_success", Version: "aaaa1111", Severity: "blocking"},
		"no_unapproved_side_effects": {ID: "no_unapproved_side_effects", Version: "bbbb2222", Severity: "blocking"},
		"tone":                       {ID: "tone", Version: "cccc3333", Severity: "warning"},
	}}
	w.in = gate.Inputs{Dataset: gate.Dataset{Name: "support-bot", Version: 1, Hash: "feedface"}, Rules: w.rules}
	for i := 1; i <= cases; i++ {
		w.in.Dataset.CaseIDs = append(w.in.Dataset.CaseIDs, fmt.Sprintf("c%03d", i))
	}
	return w
}

// runs ingests one run (with one model call) per case for a release,
// stamped in the hours before now so they are inside retention on any date.
func (w *world) runs(t *testing.T, release string, cases int, extra string) {
	t.Helper()
	var b strings.Builder
	base := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Hour)
	for i := 1; i <= cases; i++ {
		ts := base.Add(time.Duration(i%60) * time.Minute).Format(time.RFC3339)
		common := fmt.Sprintf(`"trace_id":"%s-t%03d","run_id":"%s-r%03d","tenant":"acme","environment":"staging","release":%q,"ts":%q,"status":"ok","dataset":"support-bot@v1","case_id":"c%03d"`,
			release, i, release, i, release, ts, i)
		fmt.Fprintf(&b, `{"kind":"run",%s,"span_id":"%s-s%03d","duration_ms":%d,"actor":"bot","task":"refund","input":"q","output":"a","stop_reason":"completed"}`+"\n", common, release, i, 1000+i)
		fmt.Fprintf(&b, `{"kind":"model",%s,"span_id":"%s-m%03d","parent_span_id":"%s-s%03d","duration_ms":900,"model":"gpt-4o","prompt_version":"p1","input_ref":"x","output_status":"ok","input_tokens":1000,"output_tokens":100,"cost_usd":%g,"latency_ms":900}`+"\n",
			common, release, i, release, i, 0.01*float64(i))
		if extra != "" && i == 1 {
			fmt.Fprintf(&b, `{"kind":"tool",%s,"span_id":"%s-x%03d","duration_ms":5,"tool":"issue_refund","args":{},"authorization":"allowed","retry_count":1,"side_effect":"external"}`+"\n", common, release, i)
		}
	}
	p, _ := ingest.NewPipeline(ingest.NewWriter(w.s.Conn, 0, 0), ingest.Options{Urgent: true})
	ctx := context.Background()
	if err := p.ReadNDJSON(ctx, release, strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// results stores one result per case for a rule, through the results'
// owner (evaluators.WriteResults): the first `failing` fail.
func (w *world) results(t *testing.T, release, rule string, cases, failing int) {
	t.Helper()
	var rs []evaluators.Result
	for i := 1; i <= cases; i++ {
		passed := i > failing
		reason := ""
		if !passed {
			reason = "expr returned false"
		}
		rs = append(rs, evaluators.Result{Dataset: "support-bot", DatasetVersion: 1, Release: release, RuleID: rule,
			RuleVersion: w.rules[rule].Version, CaseID: fmt.Sprintf("c%03d", i), RunID: fmt.Sprintf("%s-r%03d", release, i),
			TraceID: fmt.Sprintf("%s-t%03d", release, i), Tenant: "acme", Environment: "staging", Passed: passed,
			Reason: reason, RunTS: time.Now()})
	}
	if err := evaluators.WriteResults(context.Background(), w.s.Conn, rs); err != nil {
		t.Fatal(err)
	}
}

func cfg(t *testing.T, y string) *gate.Config {
	t.Helper()
	c, err := gate.ParseConfig([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const baseCfg = `
dataset: support-bot@v1
release: "2.4.0"
owner: release-eng
min_cases: 4
checks:
  - rule: task_success
    min_pass_rate: 0.75
  - rule: no_unapproved_side_effects
    max_failures: 0
  - metric: cost_usd_p95
    max: 0.08
change_types:
  prompt: [task_success]
  tool: [no_unapproved_side_effects]
`

func evaluate(t *testing.T, w *world, c *gate.Config, opts gate.Options) *gate.Decision {
	t.Helper()
	d, err := gate.Evaluate(context.Background(), gate.StoreEvidence(w.s.Conn), c, w.in, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPass(t *testing.T) {
	w := newWorld(t, 4)
	w.runs(t, "2.4.0", 4, "")
	w.results(t, "2.4.0", "task_success", 4, 1)
	w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 0)
	d := evaluate(t, w, cfg(t, baseCfg), gate.Options{Commit: "abc123"})
	if d.Verdict != gate.Pass || d.ExitCode != 0 {
		t.Fatalf("verdict %s: %v", d.Verdict, d.Reasons)
	}
	if d.Owner != "release-eng" || d.Commit != "abc123" || d.Dataset != "support-bot@v1" || len(d.Rules) != 3 {
		t.Fatalf("evidence: %+v", d)
	}
	if d.Contract.Result != gate.Pass || d.Cases.Scored != 4 {
		t.Fatalf("contract %+v cases %+v", d.Contract, d.Cases)
	}
}

func TestFailNamesTheFailingCases(t *testing.T) {
	w := newWorld(t, 4)
	w.runs(t, "2.4.0", 4, "")
	w.results(t, "2.4.0", "task_success", 4, 2) // 0.5 < 0.75
	w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 1)
	d := evaluate(t, w, cfg(t, baseCfg), gate.Options{})
	if d.Verdict != gate.Fail || d.ExitCode != 1 {
		t.Fatalf("verdict %s: %v", d.Verdict, d.Reasons)
	}
	ts := d.Checks[0]
	if ts.Status != gate.Fail || len(ts.WorstCases) != 2 || ts.WorstCases[0].CaseID != "c001" || ts.WorstCases[0].TraceID != "2.4.0-t001" {
		t.Fatalf("task_success check: %+v", ts)
	}
	// With --change-type prompt, only task_success blocks: the side-effect
	// rule is reported as a warning.
	d = evaluate(t, w, cfg(t, baseCfg), gate.Options{ChangeTypes: []string{"prompt"}})
	if d.Checks[1].Blocking || d.Checks[1].Status != gate.Warn || d.Verdict != gate.Fail {
		t.Fatalf("change-type prompt: %+v %s", d.Checks[1], d.Verdict)
	}
}

func TestMetricBreach(t *testing.T) {
	w := newWorld(t, 10)
	w.runs(t, "2.4.0", 10, "") // run i costs 0.01*i: p95 ≈ 0.1 > 0.08
	w.results(t, "2.4.0", "task_success", 10, 0)
	w.results(t, "2.4.0", "no_unapproved_side_effects", 10, 0)
	d := evaluate(t, w, cfg(t, baseCfg), gate.Options{})
	if d.Verdict != gate.Fail || d.Checks[2].Status != gate.Fail {
		t.Fatalf("verdict %s checks %+v", d.Verdict, d.Checks)
	}
}

func TestHolds(t *testing.T) {
	t.Run("missing cases and min_cases", func(t *testing.T) {
		w := newWorld(t, 6)
		w.runs(t, "2.4.0", 3, "")
		w.results(t, "2.4.0", "task_success", 3, 0)
		w.results(t, "2.4.0", "no_unapproved_side_effects", 3, 0)
		d := evaluate(t, w, cfg(t, baseCfg), gate.Options{})
		if d.Verdict != gate.Hold || d.ExitCode != 2 || d.Cases.MissingCount != 3 || d.Cases.Missing[0] != "c004" {
			t.Fatalf("verdict %s cases %+v reasons %v", d.Verdict, d.Cases, d.Reasons)
		}
	})
	t.Run("trace contract", func(t *testing.T) {
		w := newWorld(t, 4)
		w.runs(t, "2.4.0", 4, "tool without idempotency key")
		w.results(t, "2.4.0", "task_success", 4, 0)
		w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 0)
		d := evaluate(t, w, cfg(t, baseCfg), gate.Options{})
		if d.Verdict != gate.Hold || !strings.Contains(strings.Join(d.Reasons, "\n"), "1 tool events lack idempotency_key") {
			t.Fatalf("verdict %s reasons %v", d.Verdict, d.Reasons)
		}
	})
	t.Run("rule with no results is never vacuously met", func(t *testing.T) {
		w := newWorld(t, 4)
		w.runs(t, "2.4.0", 4, "")
		w.results(t, "2.4.0", "task_success", 4, 0)
		d := evaluate(t, w, cfg(t, baseCfg), gate.Options{})
		if d.Verdict != gate.Hold || d.Checks[1].Status != gate.Hold {
			t.Fatalf("verdict %s check %+v", d.Verdict, d.Checks[1])
		}
	})
	t.Run("results of another rule version do not count", func(t *testing.T) {
		w := newWorld(t, 4)
		w.runs(t, "2.4.0", 4, "")
		w.results(t, "2.4.0", "task_success", 4, 0)
		w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 0)
		w.in.Rules["task_success"] = gate.Rule{ID: "task_success", Version: "changed0", Severity: "blocking"}
		if d := evaluate(t, w, cfg(t, baseCfg), gate.Options{}); d.Verdict != gate.Hold {
			t.Fatalf("verdict %s", d.Verdict)
		}
	})
	t.Run("zero scored cases", func(t *testing.T) {
		w := newWorld(t, 4)
		if d := evaluate(t, w, cfg(t, baseCfg), gate.Options{}); d.ExitCode == 0 {
			t.Fatalf("verdict %s with nothing scored", d.Verdict)
		}
	})
	t.Run("baseline without results", func(t *testing.T) {
		w := newWorld(t, 4)
		w.runs(t, "2.4.0", 4, "")
		w.results(t, "2.4.0", "task_success", 4, 0)
		w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 0)
		d := evaluate(t, w, cfg(t, baseCfg), gate.Options{Baseline: "2.3.1"})
		if d.Verdict != gate.Hold || d.Baseline.Status != gate.Hold {
			t.Fatalf("verdict %s baseline %+v", d.Verdict, d.Baseline)
		}
	})
}

func TestBaselineDrop(t *testing.T) {
	w := newWorld(t, 4)
	for _, r := range []string{"2.3.1", "2.4.0"} {
		w.runs(t, r, 4, "")
		w.results(t, r, "no_unapproved_side_effects", 4, 0)
	}
	w.results(t, "2.3.1", "task_success", 4, 0)
	w.results(t, "2.4.0", "task_success", 4, 1) // 1.0 → 0.75: meets 0.75, but drops 0.25
	c := cfg(t, baseCfg+"baseline:\n  release: \"2.3.1\"\n  max_drop: 0.02\n")
	d := evaluate(t, w, c, gate.Options{})
	if d.Verdict != gate.Fail || d.Baseline.Status != gate.Fail || d.Baseline.Deltas[0].Change != -0.25 {
		t.Fatalf("verdict %s baseline %+v", d.Verdict, d.Baseline)
	}
}

func TestErrors(t *testing.T) {
	w := newWorld(t, 4)
	d := evaluate(t, w, cfg(t, strings.ReplaceAll(baseCfg, "task_success", "no_such_rule")), gate.Options{})
	if d.Verdict != gate.VerdictError || d.ExitCode != 3 || !strings.Contains(d.Reasons[0], "no_such_rule") {
		t.Fatalf("unknown rule: %s %v", d.Verdict, d.Reasons)
	}
	d = evaluate(t, w, cfg(t, strings.Replace(baseCfg, `release: "2.4.0"`, "", 1)), gate.Options{})
	if d.ExitCode != 3 {
		t.Fatalf("no release: %s", d.Verdict)
	}
	d = evaluate(t, w, cfg(t, baseCfg), gate.Options{ChangeTypes: []string{"vibes"}})
	if d.ExitCode != 3 {
		t.Fatalf("bad change type: %s", d.Verdict)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"release: x\nchecks: [{rule: a, min_pass_rate: 1}]", "dataset: required"},
		{"dataset: sb\nchecks: [{rule: a, min_pass_rate: 1}]", "not NAME@vN"},
		{"dataset: sb@v1", "at least one check"},
		{"dataset: sb@v1\nchecks: [{rule: a}]", "needs min_pass_rate or max_failures"},
		{"dataset: sb@v1\nchecks: [{metric: cost_usd_p99, max: 1}]", "unknown metric"},
		{"dataset: sb@v1\nchecks: [{rule: a, metric: error_rate, max: 1}]", "both rule and metric"},
		{"dataset: sb@v1\nchecks: [{rule: a, min_pass_rate: 2}]", "checks[0].min_pass_rate"},
		{"dataset: sb@v1\nchecks: [{rule: a, max_failures: 0}]\nbaseline: {max_drop: 0.1}", "baseline.release"},
		{"dataset: sb@v1\nchecks: [{rule: a, max_failures: 0}]\nchange_types: {vibes: [a]}", "change_types.vibes"},
		{"dataset: sb@v1\nchecks: [{rule: a, max_failures: 0}]\nthreshold: 3", "field threshold not found"},
	} {
		_, err := gate.ParseConfig([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestEvidenceFormats(t *testing.T) {
	w := newWorld(t, 4)
	w.runs(t, "2.4.0", 4, "")
	w.results(t, "2.4.0", "task_success", 4, 2)
	w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 0)
	d := evaluate(t, w, cfg(t, baseCfg), gate.Options{Commit: "abc123"})

	var js bytes.Buffer
	d.WriteJSON(&js)
	var back gate.Decision
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Verdict != gate.Fail || back.Checks[0].WorstCases[0].CaseID != "c001" {
		t.Fatalf("json: %v %s", err, js.String())
	}
	var md bytes.Buffer
	d.WriteMarkdown(&md)
	for _, want := range []string{"FAIL", "release-eng", "abc123", "c001", "2.4.0-t001", "support-bot@v1"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	var junit bytes.Buffer
	d.WriteJUnit(&junit)
	validateJUnit(t, junit.Bytes())
	if !strings.Contains(junit.String(), `<failure message="2 of 4 passed`) || !strings.Contains(junit.String(), "case c001 trace 2.4.0-t001") {
		t.Fatalf("junit:\n%s", junit.String())
	}
	// An error decision is valid JUnit too.
	var ej bytes.Buffer
	gate.Errored(nil, gate.Options{}, fmt.Errorf("dataset support-bot@v9 not found")).WriteJUnit(&ej)
	validateJUnit(t, ej.Bytes())

	if err := gate.Record(context.Background(), w.s.Conn, d); err != nil {
		t.Fatal(err)
	}
	last, err := gate.Last(context.Background(), w.s.Conn, "2.4.0", "support-bot@v1")
	if err != nil || last == nil || last.Verdict != gate.Fail || last.Commit != "abc123" {
		t.Fatalf("last: %+v %v", last, err)
	}
}

// validateJUnit checks a report against the JUnit XML schema with xmllint
// (libxml2-utils, which `make test` installs).
func validateJUnit(t *testing.T, doc []byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal("xmllint not found: `make test` installs libxml2-utils")
	}
	f := filepath.Join(t.TempDir(), "junit.xml")
	os.WriteFile(f, doc, 0o644)
	out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", f).CombinedOutput()
	if err != nil {
		t.Fatalf("JUnit output does not validate: %v\n%s\n%s", err, out, doc)
	}
}
