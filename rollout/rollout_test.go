package rollout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/rollout"
	"github.com/evalhouse/evalhouse/schema"
)

// world is a store with production traffic of two releases of a support
// agent: stable (the baseline) and a canary, each run a run event, a model
// call, a lookup and a refund tool call and a policy decision, stamped in
// the last 50 minutes so the 1h window holds them on any date.
type world struct {
	s   *store.Store
	dir string // holds rules/
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s := storetest.New(t)
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules", "prod.yaml"), []byte(rulesYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return &world{s: s, dir: dir}
}

const rulesYAML = `rules:
  - id: refund_succeeds
    description: every refund the agent issues goes through
    severity: blocking
    scope: production
    applies_to: [tool]
    expr: |
      all(tool_calls, .tool != "issue_refund" || .status == "ok")
  - id: task_success
    description: dataset-only
    severity: blocking
    scope: dataset
    expr: run.status == "ok"
`

// traffic shapes one release's runs.
type traffic struct {
	release string
	runs    int
	// refundErrors: the first this many runs' refund call fails, and the
	// run with it.
	refundErrors int
	// cost of run i's model call: costBase + i·1e-4.
	costBase float64
	// noModel leaves the model calls out (a missing kind).
	noModel bool
	// lastAgo is how long before now the newest run started.
	lastAgo time.Duration
	tenant  string
	// dataset, when set, is the version each run executed, case
	// c%03d of i mod 10; decide, when set, is the policy decision of run i.
	dataset string
	decide  func(i int) string
}

func (w *world) ingest(t *testing.T, tr traffic) {
	t.Helper()
	var b strings.Builder
	now := time.Now().UTC()
	if tr.tenant == "" {
		tr.tenant = "acme"
	}
	if tr.costBase == 0 {
		tr.costBase = 0.01
	}
	for i := 0; i < tr.runs; i++ {
		ts := func(off time.Duration) string {
			return now.Add(-tr.lastAgo - time.Duration(tr.runs-1-i)*30*time.Second + off).Format(time.RFC3339Nano)
		}
		id := fmt.Sprintf("%s-p%03d", tr.release, i)
		status, refund := "ok", "ok"
		if i < tr.refundErrors {
			status, refund = "error", "error"
		}
		common := func(off time.Duration) string {
			c := fmt.Sprintf(`"trace_id":"t-%s","run_id":"%s","tenant":%q,"environment":"production","release":%q,"ts":%q`, id, id, tr.tenant, tr.release, ts(off))
			if tr.dataset != "" {
				c += fmt.Sprintf(`,"dataset":%q,"case_id":"c%03d"`, tr.dataset, i%10)
			}
			return c
		}
		decision := "allow"
		if tr.decide != nil {
			decision = tr.decide(i)
		}
		fmt.Fprintf(&b, `{"kind":"run",%s,"span_id":"%s-r","duration_ms":%d,"status":%q,"actor":"bot","task":"refund","input":"q","output":"a","stop_reason":"completed"}`+"\n",
			common(0), id, 1200+10*i, status)
		if !tr.noModel {
			fmt.Fprintf(&b, `{"kind":"model",%s,"span_id":"%s-m","parent_span_id":"%s-r","duration_ms":800,"status":"ok","model":"gpt-4o","prompt_version":"p1","input_ref":"x","output_status":"ok","input_tokens":1000,"output_tokens":100,"cost_usd":%g,"latency_ms":800}`+"\n",
				common(time.Second), id, id, tr.costBase+1e-4*float64(i))
		}
		fmt.Fprintf(&b, `{"kind":"tool",%s,"span_id":"%s-l","parent_span_id":"%s-r","duration_ms":50,"status":"ok","tool":"lookup_order","args":{},"authorization":"allowed","retry_count":0,"side_effect":"read"}`+"\n",
			common(2*time.Second), id, id)
		fmt.Fprintf(&b, `{"kind":"tool",%s,"span_id":"%s-x","parent_span_id":"%s-r","duration_ms":90,"status":%q,"tool":"issue_refund","args":{},"authorization":"allowed","retry_count":0,"side_effect":"external"}`+"\n",
			common(3*time.Second), id, id, refund)
		fmt.Fprintf(&b, `{"kind":"policy",%s,"span_id":"%s-y","parent_span_id":"%s-r","duration_ms":3,"status":"ok","policy_version":"refund-policy@7","decision":%q,"reason_code":"within_limit","enforcement":"enforced"}`+"\n",
			common(2500*time.Millisecond), id, id, decision)
	}
	p, err := ingest.NewPipeline(ingest.NewWriter(w.s.Conn, 0, 0), ingest.Options{Urgent: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := p.ReadNDJSON(ctx, tr.release, strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	res, err := p.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected > 0 {
		t.Fatalf("%s: %d events rejected: %+v", tr.release, res.Rejected, res)
	}
}

// stageCfg is the canary stage gate the tests judge.
const stageCfg = `
stage: cohort
release: "2.5.0"
window: 1h
baseline: {release: "2.4.1"}
rollback_owner: support-oncall
min_runs: 30
checks:
  - metric: error_rate
    max: 0.25
    max_increase: 0.02
  - metric: cost_usd_p95
    severity: warning
    max: 1.0
    max_increase_ratio: 0.25
  - rule: refund_succeeds
    min_pass_rate: 0.5
`

func (w *world) config(t *testing.T, y string) *rollout.Config {
	t.Helper()
	c, err := rollout.ParseConfig([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	c.SetDir(w.dir)
	return c
}

func (w *world) run(t *testing.T, y string, opts rollout.Options) *rollout.Decision {
	t.Helper()
	d, err := rollout.Run(context.Background(), w.s.Conn, w.config(t, y), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Stored {
		t.Fatalf("decision not stored: %s", d.StoreError)
	}
	return d
}

func check(t *testing.T, d *rollout.Decision, name string) rollout.CheckResult {
	t.Helper()
	for _, c := range d.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, d.Checks)
	return rollout.CheckResult{}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// A canary as good as the stable release expands: every check met, on
// 60 runs a side.
func TestExpand(t *testing.T) {
	w := newWorld(t)
	w.ingest(t, traffic{release: "2.4.1", runs: 60, refundErrors: 1, lastAgo: time.Minute})
	w.ingest(t, traffic{release: "2.5.0", runs: 60, refundErrors: 1, lastAgo: time.Minute})
	d := w.run(t, stageCfg, rollout.Options{})
	if d.Verdict != rollout.Expand || d.ExitCode != 0 {
		t.Fatalf("verdict %s (%d): %v", d.Verdict, d.ExitCode, d.Reasons)
	}
	if d.Samples.Runs != 60 || d.Samples.BaselineRuns != 60 || d.Samples.MinRuns != 30 {
		t.Errorf("samples = %+v", d.Samples)
	}
	er := check(t, d, "metric error_rate")
	if er.Status != "pass" || er.Test == nil || er.Test.N != 60 || er.Test.NBaseline != 60 || er.Test.Significant || *er.Change != 0 {
		t.Errorf("error_rate = %+v (test %+v)", er, er.Test)
	}
	// The rule was scored by the gate itself: no stored production result.
	rule := check(t, d, "rule refund_succeeds")
	if rule.Status != "pass" || rule.N != 60 || !near(rule.Observed, 59.0/60, 1e-9) || d.Samples.ScoredByGate != 60 {
		t.Errorf("rule = %+v, samples %+v", rule, d.Samples)
	}
	if len(d.Disable) != 0 || len(d.FailingRuns) != 0 {
		t.Errorf("an expand disables nothing: %+v %+v", d.Disable, d.FailingRuns)
	}
}

// Too few runs in the window hold, whatever the checks say; so do a
// missing kind and a trace export that stopped.
func TestHold(t *testing.T) {
	w := newWorld(t)
	w.ingest(t, traffic{release: "2.4.1", runs: 60, refundErrors: 1, lastAgo: time.Minute})
	w.ingest(t, traffic{release: "2.5.0", runs: 12, lastAgo: time.Minute})
	d := w.run(t, stageCfg, rollout.Options{})
	if d.Verdict != rollout.Hold || d.ExitCode != 2 {
		t.Fatalf("verdict %s (%d): %v", d.Verdict, d.ExitCode, d.Reasons)
	}
	if d.Samples.Runs != 12 || !strings.Contains(strings.Join(d.Reasons, "\n"), "too few runs: 2.5.0 had 12 in the window, the stage needs min_runs 30") {
		t.Errorf("reasons = %q", d.Reasons)
	}
	if er := check(t, d, "metric error_rate"); er.Status != "hold" || er.Test.PValue != 1 || er.Test.Significant {
		t.Errorf("error_rate on 12 runs = %+v (test %+v): no test under min_runs", er, er.Test)
	}

	// 40 runs with no model calls, the newest 40 minutes old: traces of
	// model calls are missing, and export has stopped.
	w2 := newWorld(t)
	w2.ingest(t, traffic{release: "2.4.1", runs: 60, lastAgo: time.Minute})
	w2.ingest(t, traffic{release: "2.5.0", runs: 40, noModel: true, lastAgo: 40 * time.Minute})
	d = w2.run(t, strings.Replace(stageCfg, "window: 1h", "window: 90m", 1), rollout.Options{})
	why := strings.Join(d.Reasons, "\n")
	if d.Verdict != rollout.Hold || !strings.Contains(why, "missing kinds: the release's runs show no model event") ||
		!strings.Contains(why, "trace export gap") || fmt.Sprint(d.Samples.MissingKinds) != "[model]" {
		t.Errorf("verdict %s, samples %+v, reasons %q", d.Verdict, d.Samples, d.Reasons)
	}
}

// A warning check breached narrows: the canary's calls cost 60% more, under
// the hard limit, and significantly so. Stable runs cost .01 + i·1e-4
// (i = 0..59), the canary's .0235 + i·1e-4. The baseline's p95 is .015605
// (position .95·59 = 56.05, between .0156 and .0157), the bound ×1.25
// .01950625: all 60 canary runs lie above it, 3 stable runs (.0157, .0158,
// .0159) above the p95. p̃ = 61/62 and 4/62, se = .0350628, z =
// .919355/.0350628 = 26.22025.
func TestNarrow(t *testing.T) {
	w := newWorld(t)
	w.ingest(t, traffic{release: "2.4.1", runs: 60, refundErrors: 1, lastAgo: time.Minute})
	w.ingest(t, traffic{release: "2.5.0", runs: 60, refundErrors: 1, costBase: 0.016 + 0.0075, lastAgo: time.Minute})
	d := w.run(t, stageCfg, rollout.Options{})
	if d.Verdict != rollout.Narrow || d.ExitCode != 4 {
		t.Fatalf("verdict %s (%d): %v", d.Verdict, d.ExitCode, d.Reasons)
	}
	c := check(t, d, "metric cost_usd_p95")
	if c.Status != "breach" || c.Severity != "warning" || c.Test == nil {
		t.Fatalf("cost = %+v", c)
	}
	if c.Test.X != 60 || c.Test.XBaseline != 3 || !near(*c.Test.Bound, 0.01950625, 1e-12) || !near(c.Test.Z, 26.22025, 1e-5) ||
		!c.Test.Significant || !strings.HasPrefix(c.Test.Name, "p95 exceedance") || *c.Margin != 0.25 || c.Test.N != 60 || c.Test.NBaseline != 60 {
		t.Errorf("test = %+v", c.Test)
	}
	// p95 by linear interpolation: position .95·59 = 56.05, between runs 56
	// and 57: stable .01 + 5.605e-3, canary .0235 + 5.605e-3.
	if !near(*c.BaselineValue, 0.015605, 1e-9) || !near(c.Observed, 0.029105, 1e-9) || !near(*c.Change, 0.029105/0.015605-1, 1e-9) {
		t.Errorf("p95 %v against %v (change %v)", c.Observed, *c.BaselineValue, *c.Change)
	}
	if len(d.FailingRuns) != 0 {
		t.Errorf("a warning names no runs to open an incident on: %+v", d.FailingRuns)
	}
}

// A blocking check breached rolls back, naming the tool to disable and
// the failing runs, worst first; the decision is on record by its id.
//
// Worked by hand: 20 errors in 60 canary runs against 1 in 60 stable,
// margin .02, Agresti-Caffo: p̃1 = 21/62 = .338710, p̃2 = 2/62 = .032258;
// se = sqrt(.338710·.661290/62 + .032258·.967742/62) = .0641574; z =
// (.338710 - .032258 - .02)/.0641574 = 4.464824; p = P(Z > z) =
// 4.0067e-06.
func TestRollbackNamesTheCapability(t *testing.T) {
	w := newWorld(t)
	w.ingest(t, traffic{release: "2.4.1", runs: 60, refundErrors: 1, lastAgo: time.Minute})
	w.ingest(t, traffic{release: "2.5.0", runs: 60, refundErrors: 20, lastAgo: time.Minute})
	d := w.run(t, stageCfg, rollout.Options{Owner: "release-eng", Commit: "abc123"})
	if d.Verdict != rollout.Rollback || d.ExitCode != 1 {
		t.Fatalf("verdict %s (%d): %v", d.Verdict, d.ExitCode, d.Reasons)
	}
	er := check(t, d, "metric error_rate")
	if er.Status != "breach" || !near(er.Observed, 1.0/3, 1e-9) || !near(*er.BaselineValue, 1.0/60, 1e-9) {
		t.Errorf("error_rate = %+v", er)
	}
	if tt := er.Test; !near(tt.Z, 4.464824, 1e-6) || !near(tt.PValue, 4.0067e-06, 1e-10) || tt.X != 20 || tt.XBaseline != 1 || !tt.Significant || tt.Alpha != 0.05 ||
		tt.Margin != 0.02 || tt.MinSamples != 30 || !strings.HasPrefix(tt.Name, "two-proportion z") {
		t.Errorf("test = %+v", tt)
	}
	// 20 of 60 at 0.25 max: the absolute part breaches too.
	if !strings.Contains(er.Message, "breaches max 0.25") {
		t.Errorf("message = %q", er.Message)
	}
	if er.Disable == nil || er.Disable.Kind != "tool" || er.Disable.Name != "issue_refund" {
		t.Errorf("disable = %+v, want the refund tool", er.Disable)
	}
	if r := check(t, d, "rule refund_succeeds"); r.Status != "pass" || r.N != 60 || !near(r.Observed, 40.0/60, 1e-9) {
		t.Errorf("rule at min 0.5 = %+v", r)
	}
	if len(d.Disable) != 1 || d.Disable[0].Name != "issue_refund" || d.Disable[0].Check != "metric error_rate" {
		t.Errorf("decision disables %+v", d.Disable)
	}
	if len(d.FailingRuns) != 20 {
		t.Fatalf("failing runs = %d, want the 20 errored", len(d.FailingRuns))
	}
	for _, r := range d.FailingRuns {
		if !strings.HasPrefix(r.RunID, "2.5.0-p0") || r.TraceID != "t-"+r.RunID || r.Tenant != "acme" {
			t.Errorf("failing run %+v", r)
		}
	}
	got, err := rollout.Get(context.Background(), w.s.Conn, d.DecisionID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict != rollout.Rollback || len(got.FailingRuns) != 20 || got.Owner != "release-eng" || got.RollbackOwner != "support-oncall" ||
		got.Commit != "abc123" || !got.Stored {
		t.Errorf("stored decision = %+v", got)
	}
	if _, err := rollout.Get(context.Background(), w.s.Conn, "sd_0000000000000000"); !errors.Is(err, rollout.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := rollout.Get(context.Background(), w.s.Conn, "'; DROP TABLE x"); !errors.Is(err, rollout.ErrNotFound) {
		t.Errorf("malformed id: %v", err)
	}
	all, err := rollout.Decisions(context.Background(), w.s.Conn, "2.5.0", 10)
	if err != nil || len(all) != 1 || all[0].DecisionID != d.DecisionID {
		t.Errorf("decisions of 2.5.0 = %v, %v", all, err)
	}
	// A rule check breached names the capability its applies_to guards.
	d = w.run(t, strings.Replace(stageCfg, "min_pass_rate: 0.5", "min_pass_rate: 0.9", 1), rollout.Options{})
	r := check(t, d, "rule refund_succeeds")
	if d.Verdict != rollout.Rollback || r.Status != "breach" || r.Disable == nil || r.Disable.Kind != "tool" || r.Disable.Name != "issue_refund" {
		t.Errorf("rule breach: %s, %+v", d.Verdict, r)
	}
}

// What cannot be judged is an error (exit 3), recorded, never an expand.
func TestError(t *testing.T) {
	w := newWorld(t)
	w.ingest(t, traffic{release: "2.4.1", runs: 60, lastAgo: time.Minute})
	w.ingest(t, traffic{release: "2.5.0", runs: 60, lastAgo: time.Minute})
	for name, c := range map[string]struct{ cfg, want string }{
		"unknown rule":  {strings.Replace(stageCfg, "rule: refund_succeeds", "rule: nope", 1), "check rule nope: no such rule"},
		"dataset scope": {strings.Replace(stageCfg, "rule: refund_succeeds", "rule: task_success", 1), "its scope is dataset"},
		"no release":    {strings.Replace(stageCfg, `release: "2.5.0"`, "", 1), "no release to judge"},
	} {
		d := w.run(t, c.cfg, rollout.Options{})
		if d.Verdict != rollout.VerdictError || d.ExitCode != 3 || !strings.Contains(strings.Join(d.Reasons, "\n"), c.want) {
			t.Errorf("%s: %s (%d) %q", name, d.Verdict, d.ExitCode, d.Reasons)
		}
	}
	if d := w.run(t, stageCfg, rollout.Options{Window: 10000 * time.Hour}); d.Verdict != rollout.VerdictError || !strings.Contains(d.Reasons[0], "at most 744h") {
		t.Errorf("a 10000h window: %s %q", d.Verdict, d.Reasons)
	}
	// Rules that don't compile.
	if err := os.WriteFile(filepath.Join(w.dir, "rules", "bad.yaml"), []byte("rules:\n  - {id: x, expr: \"run.(\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := w.run(t, stageCfg, rollout.Options{}); d.Verdict != rollout.VerdictError || !strings.Contains(d.Reasons[0], "rules in") {
		t.Errorf("bad rules: %s %q", d.Verdict, d.Reasons)
	}
}

// A bad config is refused, naming every problem and its key.
func TestConfigErrors(t *testing.T) {
	for y, want := range map[string][]string{
		"stage: canary\nchecks: [{metric: error_rate, max: 0.1}]\n": {`stage: "canary" is not one of stages (local, staging, internal, cohort, expanded, full)`},
		"stage: cohort\n": {"checks: a stage gate needs at least one check"},
		"stage: cohort\nchecks: [{metric: errors, max: 1}]\n":                                          {`checks[0].metric: "errors": want one of`},
		"stage: cohort\nchecks: [{metric: error_rate, max: .nan}]\n":                                   {"checks[0].max: want a finite number"},
		"stage: cohort\nchecks: [{metric: error_rate, max_increase: 0.1}]\n":                           {"compares with the baseline, but baseline.release is not set"},
		"stage: cohort\nchecks: [{metric: approval_rate, max: 0.1}]\n":                                 {"less is worse"},
		"stage: cohort\nchecks: [{metric: cost_usd_p95, max_increase: 0.1}]\nbaseline: {release: a}\n": {"a per-run value compares by max_increase_ratio"},
		"stage: cohort\nwindow: soon\nchecks: [{metric: error_rate, max: 1}]\n":                        {`"soon" is not a duration`},
		"stage: cohort\ncohort: {tenants: [a], percent: 5}\nchecks: [{metric: error_rate, max: 1}]\n":  {"tenants and percent are exclusive"},
		"stage: cohort\nchecks: [{rule: r, max: 1}]\n":                                                 {"set min_pass_rate or max_drop", "a rule check takes min_pass_rate and max_drop only"},
		"stage: cohort\nbogus: 1\nchecks: [{metric: error_rate, max: 1}]\n":                            {"field bogus not found"},
		"stage: canary\nstages: [staging, canary, full]\nchecks: [{metric: error_rate, max: 1}]\n":     nil,
	} {
		_, err := rollout.ParseConfig([]byte(y))
		if want == nil {
			if err != nil {
				t.Errorf("%q: %v", y, err)
			}
			continue
		}
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %v, want %q", y, err, w)
			}
		}
	}
	if !rollout.IsStageConfig([]byte("stage: canary\n")) || rollout.IsStageConfig([]byte("dataset: a@v1\n")) {
		t.Error("IsStageConfig")
	}
}

// Every evidence format carries the release, the stage, the window, the
// sample sizes and every check; JUnit fails the breached checks.
func TestEvidenceFormats(t *testing.T) {
	w := newWorld(t)
	w.ingest(t, traffic{release: "2.4.1", runs: 60, refundErrors: 1, lastAgo: time.Minute})
	w.ingest(t, traffic{release: "2.5.0", runs: 60, refundErrors: 20, lastAgo: time.Minute})
	d := w.run(t, stageCfg, rollout.Options{})
	var j, md, text, ju bytes.Buffer
	if err := d.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(j.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"decision_id", "verdict", "exit_code", "stage", "window", "samples", "checks", "disable", "failing_runs", "release", "baseline"} {
		if _, ok := back[k]; !ok {
			t.Errorf("JSON lacks %s", k)
		}
	}
	if err := d.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{md.String(), text.String()} {
		for _, want := range []string{"ROLLBACK", "2.5.0", "cohort", "2.4.1", "metric error_rate", "metric cost_usd_p95", "rule refund_succeeds", "issue_refund", d.DecisionID} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	}
	if !strings.Contains(md.String(), "two-proportion z (Agresti-Caffo, one-sided, margin): n 60/60, z 4.465, p 4.007e-06 (α 0.05, margin 0.02)") {
		t.Errorf("Markdown lacks the test and its figures:\n%s", md.String())
	}
	if err := d.WriteJUnit(&ju); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(ju.Bytes(), &suites); err != nil {
		t.Fatalf("JUnit: %v\n%s", err, ju.String())
	}
	if len(suites.Suites) != 1 || suites.Suites[0].Tests < 3 || suites.Suites[0].Failures != 1 {
		t.Errorf("JUnit = %+v\n%s", suites, ju.String())
	}
}

// Rule results stored by `eval --environment` are read, not scored again.
func TestStoredProductionResults(t *testing.T) {
	w := newWorld(t)
	w.ingest(t, traffic{release: "2.4.1", runs: 60, refundErrors: 1, lastAgo: time.Minute})
	w.ingest(t, traffic{release: "2.5.0", runs: 60, refundErrors: 1, lastAgo: time.Minute})
	rs, err := evaluators.LoadDir(filepath.Join(w.dir, "rules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evaluators.ScoreProduction(context.Background(), w.s.Conn, rs, "production", time.Now().Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	d := w.run(t, stageCfg, rollout.Options{})
	if d.Verdict != rollout.Expand || d.Samples.StoredScores != 60 || d.Samples.ScoredByGate != 0 {
		t.Errorf("verdict %s, samples %+v", d.Verdict, d.Samples)
	}
}

// TestSQLSnapshots records the statements on stage_decisions that Record,
// Get and Decisions send, compares them with testdata/snapshots (go test
// -update rewrites them), and fails when a statement of sql/ is sent by no
// operation.
func TestSQLSnapshots(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	rec := snapshot.Record(w.s.Conn)
	mine := func(q string) bool { return strings.Contains(q, "stage_decisions") }
	d := &rollout.Decision{DecisionID: "sd_00000000000000aa", Verdict: rollout.Hold, ExitCode: 2, Release: "2.5.0", Stage: "cohort",
		DecidedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if err := rollout.Record(ctx, rec, d); err != nil || !d.Stored {
		t.Fatalf("record: %v", err)
	}
	rec.CheckTake(t, "record", mine)
	if got, err := rollout.Get(ctx, rec, d.DecisionID); err != nil || got.Verdict != rollout.Hold {
		t.Fatalf("get: %+v, %v", got, err)
	}
	rec.CheckTake(t, "get", mine)
	if got, err := rollout.Decisions(ctx, rec, "2.5.0", 5); err != nil || len(got) != 1 {
		t.Fatalf("decisions: %+v, %v", got, err)
	}
	rec.CheckTake(t, "decisions", mine)
	for _, q := range rollout.Statements() {
		if !rec.Checked(q) {
			t.Errorf("sql statement\n%s\nis sent by no operation of this test", q)
		}
	}
}

// Every canary run failing against a baseline with no failure rolls back,
// on record: the test's z stays finite, so the evidence is JSON.
func TestTotalFailureRollsBack(t *testing.T) {
	w := newWorld(t)
	w.ingest(t, traffic{release: "2.4.1", runs: 60, lastAgo: time.Minute})
	w.ingest(t, traffic{release: "2.5.0", runs: 40, refundErrors: 40, lastAgo: time.Minute})
	d := w.run(t, stageCfg, rollout.Options{})
	er := check(t, d, "metric error_rate")
	if d.Verdict != rollout.Rollback || er.Test == nil || math.IsInf(er.Test.Z, 0) || !er.Test.Significant {
		t.Fatalf("verdict %s, error_rate %+v %+v", d.Verdict, er, er.Test)
	}
	var b bytes.Buffer
	if err := d.WriteJSON(&b); err != nil {
		t.Fatalf("evidence: %v", err)
	}
	if got, err := rollout.Get(context.Background(), w.s.Conn, d.DecisionID); err != nil || len(got.FailingRuns) != 40 {
		t.Errorf("stored: %+v, %v", got, err)
	}
}

// A tenant cohort is compared with the stable release's other tenants
// (the cohort's have left it), unless baseline.tenants names some; a
// stage whose checks compare nothing does not wait for baseline runs.
func TestTenantCohort(t *testing.T) {
	w := newWorld(t)
	w.ingest(t, traffic{release: "2.4.1", runs: 60, refundErrors: 1, lastAgo: time.Minute, tenant: "acme"})
	w.ingest(t, traffic{release: "2.5.0", runs: 40, refundErrors: 1, lastAgo: time.Minute, tenant: "globex"})
	cohort := strings.Replace(stageCfg, "min_runs: 30", "min_runs: 30\ncohort: {tenants: [globex]}", 1)
	d := w.run(t, cohort, rollout.Options{})
	if d.Verdict != rollout.Expand || d.Samples.Runs != 40 || d.Samples.BaselineRuns != 60 {
		t.Errorf("tenant cohort: %s, samples %+v, %q", d.Verdict, d.Samples, d.Reasons)
	}
	same := strings.Replace(cohort, `baseline: {release: "2.4.1"}`, `baseline: {release: "2.4.1", tenants: [globex]}`, 1)
	if d := w.run(t, same, rollout.Options{}); d.Verdict != rollout.Hold || d.Samples.BaselineRuns != 0 || fmt.Sprint(d.BaselineTenants) != "[globex]" {
		t.Errorf("baseline on the cohort's tenants: %s, samples %+v", d.Verdict, d.Samples)
	}
	absolute := `
stage: full
release: "2.5.0"
baseline: {release: "9.9"}
checks:
  - metric: error_rate
    max: 0.1
`
	if d := w.run(t, absolute, rollout.Options{}); d.Verdict != rollout.Expand {
		t.Errorf("absolute checks with an absent baseline: %s %q", d.Verdict, d.Reasons)
	}
}

// Runs of dataset cases that expect a denial but were allowed are false
// allows: a blocking max of 0 rolls back, naming the policy version that
// allowed them, and the runs are the ones an incident opens on.
func TestFalseAllowRollsBack(t *testing.T) {
	w := newWorld(t)
	var cases []datasets.Case
	for i := range 10 {
		want := "allow"
		if i < 5 {
			want = "deny"
		}
		cases = append(cases, datasets.Case{CaseID: fmt.Sprintf("c%03d", i), Input: "refund", Expected: map[string]any{"policy_decision": want}})
	}
	if _, err := datasets.New(w.s.Conn).Create(context.Background(), "refunds", cases, datasets.Provenance{By: "t"}); err != nil {
		t.Fatal(err)
	}
	expected := func(i int) string { return map[bool]string{true: "deny", false: "allow"}[i%10 < 5] }
	w.ingest(t, traffic{release: "2.4.1", runs: 40, lastAgo: time.Minute, dataset: "refunds@v1", decide: expected})
	w.ingest(t, traffic{release: "2.5.0", runs: 40, lastAgo: time.Minute, dataset: "refunds@v1"}) // allows everything
	cfg := `
stage: cohort
release: "2.5.0"
baseline: {release: "2.4.1"}
checks:
  - metric: false_allow
    max: 0
`
	d := w.run(t, cfg, rollout.Options{})
	c := check(t, d, "metric false_allow")
	if d.Verdict != rollout.Rollback || c.Status != "breach" || c.Observed != 20 || c.N != 40 {
		t.Fatalf("verdict %s, check %+v", d.Verdict, c)
	}
	if c.Disable == nil || c.Disable.Kind != "policy" || c.Disable.Name != "refund-policy@7" || !strings.Contains(c.Disable.Why, "allowed 20 of the 20") {
		t.Errorf("disable = %+v", c.Disable)
	}
	if len(d.FailingRuns) != 20 {
		t.Errorf("failing runs = %d, want the 20 false allows", len(d.FailingRuns))
	}
	stable := strings.Replace(strings.Replace(cfg, `release: "2.5.0"`, `release: "2.4.1"`, 1), `baseline: {release: "2.4.1"}`, "", 1)
	if d := w.run(t, stable, rollout.Options{}); d.Verdict != rollout.Expand || check(t, d, "metric false_allow").N != 40 {
		t.Errorf("the baseline's own decisions: %s %q", d.Verdict, d.Reasons)
	}
}
