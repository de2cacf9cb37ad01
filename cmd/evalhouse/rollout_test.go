package main

import (
	"encoding/json"
	"encoding/xml"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/internal/restamp"
)

// rolloutData is examples/rollout's traffic restamped so its newest event
// is a minute old: the stage gate's 1h window ending now holds it all.
func rolloutData(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../../examples/rollout/*.ndjson")
	if err != nil || len(files) != 3 {
		t.Fatalf("examples/rollout: %v %v", files, err)
	}
	out, err := restamp.FilesAt(t.TempDir(), time.Now().Add(-time.Minute), files...)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range out {
		m[strings.TrimSuffix(filepath.Base(f), ".ndjson")] = f
	}
	return m
}

type stageEvidence struct {
	DecisionID string `json:"decision_id"`
	Verdict    string `json:"verdict"`
	ExitCode   int    `json:"exit_code"`
	Samples    struct {
		Runs         int `json:"runs"`
		BaselineRuns int `json:"baseline_runs"`
	} `json:"samples"`
	Checks []struct {
		Name, Status string
		Test         *struct {
			Name   string  `json:"name"`
			Z      float64 `json:"z"`
			PValue float64 `json:"p_value"`
		} `json:"test"`
	} `json:"checks"`
	Disable []struct {
		Kind, Name, Check string
	} `json:"disable"`
	FailingRuns []struct {
		RunID   string `json:"run_id"`
		TraceID string `json:"trace_id"`
	} `json:"failing_runs"`
	Record json.RawMessage `json:"release_record"`
}

func readStage(t *testing.T, path string) stageEvidence {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ev stageEvidence
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return ev
}

// TestRolloutLoop walks our design's rollout loop as `make demo` does: the
// canary 2.5.0 beside the stable 2.4.1 in production rolls back, naming
// the refund tool; its failing runs become an incident, then fixtures; the
// fixed canary 2.5.1 expands. Hold, narrow and error are driven on the
// same traffic.
func TestRolloutLoop(t *testing.T) {
	store, _ := storeFlag(t)
	data := rolloutData(t)
	canary := filepath.Join(exampleRoot, "rollout", "canary.yaml")
	must := func(want int, args ...string) string {
		t.Helper()
		out, code := run(t, nil, append([]string{store}, args...)...)
		if code != want {
			t.Fatalf("evalhouse %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	must(0, "ingest", data["events-stable-2.4.1"], data["events-canary-2.5.0"])
	must(0, "release", "record", "2.5.0", "--stage", "cohort", "--environment", "production", "--percent", "10",
		"--owner", "support-release", "--rollback-owner", "support-oncall", "--note", "refund tool schema 3")
	dir := t.TempDir()
	js, md, ju := filepath.Join(dir, "d.json"), filepath.Join(dir, "d.md"), filepath.Join(dir, "d.xml")

	// The canary rolls back: 1 in 3 refunds fails.
	out := must(1, "gate", "--config", canary, "--release", "2.5.0", "--json", js, "--markdown", md, "--junit", ju)
	ev := readStage(t, js)
	if ev.Verdict != "rollback" || ev.ExitCode != 1 || !strings.Contains(out, "ROLLBACK") || !strings.Contains(out, "disable tool issue_refund") {
		t.Fatalf("2.5.0: %+v\n%s", ev, out)
	}
	if len(ev.Disable) != 1 || ev.Disable[0].Kind != "tool" || ev.Disable[0].Name != "issue_refund" || ev.Disable[0].Check != "metric error_rate" {
		t.Errorf("disable = %+v", ev.Disable)
	}
	if len(ev.FailingRuns) != 20 {
		t.Errorf("failing runs = %d, want 2.5.0's 20 failed refunds", len(ev.FailingRuns))
	}
	// 20 of 60 against 1 of 80, margin .02, Agresti-Caffo: p̃ 21/62 =
	// .338710 and 2/82 = .024390; se = sqrt(.338710·.661290/62 +
	// .024390·.975610/82) = .0624728; z = (.338710 - .024390 -
	// .02)/.0624728 = 4.711158, p = 1.2316e-06.
	for _, c := range ev.Checks {
		if c.Name == "metric error_rate" && (c.Status != "breach" || c.Test == nil || math.Abs(c.Test.Z-4.711158) > 1e-6 || math.Abs(c.Test.PValue-1.2316e-06) > 1e-10) {
			t.Errorf("error_rate = %+v %+v", c, c.Test)
		}
	}
	// The evidence keeps what the release ran with when decided.
	if rec := string(ev.Record); !strings.Contains(rec, `"issue_refund"`) || !strings.Contains(rec, `"support@15"`) || !strings.Contains(rec, `"3"`) {
		t.Errorf("release record in the evidence: %.600s", rec)
	}
	mdb, _ := os.ReadFile(md)
	if !strings.Contains(string(mdb), "ROLLBACK") || !strings.Contains(string(mdb), "two-proportion z") {
		t.Errorf("markdown:\n%s", mdb)
	}
	var suites struct {
		Failures int `xml:"failures,attr"`
	}
	if xb, _ := os.ReadFile(ju); xml.Unmarshal(xb, &suites) != nil || suites.Failures != 1 {
		t.Errorf("junit: %+v\n%s", suites, xb)
	}

	// Rollback closes the loop: the failing runs become an incident, then
	// fixtures in the next dataset version.
	out = must(0, "incident", "open", "--from-gate", ev.DecisionID, "--severity", "sev2", "--max-runs", "3")
	if !strings.Contains(out, "opened INC-1: 2.5.0 rolled back at stage cohort (metric error_rate) (sev2) on 3 trace(s)") ||
		!strings.Contains(out, ev.FailingRuns[0].TraceID) {
		t.Fatalf("incident open --from-gate:\n%s", out)
	}
	out = must(0, "incident", "promote", "INC-1", "--dataset", "support-refunds", "--expect", `{"answer":"refunded the duplicate charge"}`)
	if !strings.Contains(out, "support-refunds@v1") {
		t.Fatalf("promote: %s", out)
	}
	if n := sqlCount(t, store, "SELECT count() FROM dataset_items FINAL WHERE dataset = 'support-refunds'"); n != 3 {
		t.Errorf("fixtures = %d, want the 3 runs", n)
	}
	// An expand is no rollback: nothing to open an incident on.
	must(0, "ingest", data["events-canary-2.5.1"])
	out = must(0, "gate", "--config", canary, "--release", "2.5.1", "--json", js)
	if ev := readStage(t, js); ev.Verdict != "expand" || !strings.Contains(out, "EXPAND") {
		t.Fatalf("2.5.1: %+v\n%s", ev, out)
	}
	fixed := readStage(t, js).DecisionID
	must(0, "release", "record", "2.5.1", "--stage", "expanded", "--environment", "production", "--owner", "support-release", "--rollback-owner", "support-oncall")
	var shown struct {
		Stages []struct {
			Stage string `json:"stage"`
		} `json:"stages"`
		Decisions []struct {
			DecisionID string `json:"decision_id"`
			Verdict    string `json:"verdict"`
		} `json:"stage_decisions"`
	}
	if err := json.Unmarshal([]byte(must(0, "release", "show", "2.5.0", "--format", "json")), &shown); err != nil ||
		len(shown.Stages) != 1 || shown.Stages[0].Stage != "cohort" || len(shown.Decisions) != 1 || shown.Decisions[0].DecisionID != ev.DecisionID {
		t.Errorf("release show 2.5.0: %+v %v", shown, err)
	}
	if out := must(0, "release", "log", "2.5.1"); !strings.Contains(out, "expanded") {
		t.Errorf("release log 2.5.1:\n%s", out)
	}
	if out := must(3, "incident", "open", "--from-gate", fixed); !strings.Contains(out, "the decision is expand, not a rollback") {
		t.Errorf("from an expand: %s", out)
	}

	// Hold: the last minute holds no run.
	if out := must(2, "gate", "--config", canary, "--release", "2.5.1", "--window", "1m"); !strings.Contains(out, "too few runs: 2.5.1 had 0") {
		t.Errorf("hold:\n%s", out)
	}
	// Narrow: a warning on p95 latency the fixed canary exceeds.
	cfg, _ := os.ReadFile(canary)
	tight := filepath.Join(filepath.Dir(canary), "tight.yaml")
	if err := os.WriteFile(tight, []byte(strings.Replace(string(cfg), "max: 8000", "max: 900", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := must(4, "gate", "--config", tight, "--release", "2.5.1"); !strings.Contains(out, "NARROW") || !strings.Contains(out, "breaches max 900") {
		t.Errorf("narrow:\n%s", out)
	}
	// Error: a flag for dataset gates, a dataset-only rule, a bad config.
	must(3, "gate", "--config", canary, "--release", "2.5.1", "--change-type", "prompt")
	scoped := filepath.Join(filepath.Dir(canary), "scoped.yaml")
	os.WriteFile(scoped, []byte(strings.Replace(string(cfg), "rule: tool_authorization", "rule: task_success", 1)), 0o644)
	if out := must(3, "gate", "--config", scoped, "--release", "2.5.1"); !strings.Contains(out, "its scope is dataset") {
		t.Errorf("dataset rule:\n%s", out)
	}
	nan := filepath.Join(filepath.Dir(canary), "nan.yaml")
	os.WriteFile(nan, []byte(strings.Replace(string(cfg), "max: 0.10", "max: .nan", 1)), 0o644)
	if out := must(3, "gate", "--config", nan, "--release", "2.5.1"); !strings.Contains(out, "checks[0].max: want a finite number") {
		t.Errorf("NaN threshold:\n%s", out)
	}
	// Every decision is on record, errors included.
	if n := sqlCount(t, store, "SELECT count() FROM stage_decisions"); n != 6 {
		t.Errorf("stage_decisions holds %d, want 6", n)
	}
}

// POST /v1/gates takes a stage gate: a deploy pipeline asks "may canary
// expand?" over HTTP and branches on exit_code; rules come only from the
// server's --rules-dir.
func TestStageGateOverHTTP(t *testing.T) {
	data := rolloutData(t)
	api := startServe(t, "--rules-dir", filepath.Join(exampleRoot, "rules"))
	nd := []string{"Content-Type", "application/x-ndjson"}
	for _, f := range []string{"events-stable-2.4.1", "events-canary-2.5.0"} {
		b, _ := os.ReadFile(data[f])
		if r := do(t, "POST", api+"/v1/events", "", b, nd...); r.code != 200 {
			t.Fatalf("POST %s: %d %.300s", f, r.code, r.body)
		}
	}
	cfg, _ := os.ReadFile(filepath.Join(exampleRoot, "rollout", "canary.yaml"))
	cfg = []byte(strings.Replace(string(cfg), "rules: ../rules", "rules: rules", 1))
	r := do(t, "POST", api+"/v1/gates?release=2.5.0&window=1h", "", cfg)
	var ev stageEvidence
	if r.code != 200 || json.Unmarshal([]byte(r.body), &ev) != nil || ev.Verdict != "rollback" || ev.ExitCode != 1 || len(ev.Disable) != 1 {
		t.Fatalf("POST a stage gate: %d %.500s", r.code, r.body)
	}
	etc := strings.Replace(string(cfg), "rules: rules", "rules: /etc", 1)
	if r := do(t, "POST", api+"/v1/gates?release=2.5.0", "", []byte(etc)); r.code != 400 || strings.Contains(r.body, "/etc") {
		t.Errorf("a stage gate naming /etc: %d %s", r.code, r.body)
	}
	if r := do(t, "POST", api+"/v1/gates?release=2.5.0&window=soon", "", cfg); r.code != 400 {
		t.Errorf("window=soon: %d %s", r.code, r.body)
	}
	// An invalid config is an error decision, on record; a body cut at
	// 1 MiB could parse with checks missing: 413.
	if r := do(t, "POST", api+"/v1/gates?release=2.5.0", "", []byte("stage: cohort\nbogus: 1\n")); r.code != 200 ||
		!strings.Contains(r.body, `"verdict": "error"`) || !strings.Contains(r.body, `"stored": true`) {
		t.Errorf("an invalid stage config: %d %.400s", r.code, r.body)
	}
	big := append(append([]byte{}, cfg...), []byte("# "+strings.Repeat("x", 1<<20)+"\n")...)
	if r := do(t, "POST", api+"/v1/gates?release=2.5.0", "", big); r.code != 413 {
		t.Errorf("a body over 1 MiB: %d %.200s", r.code, r.body)
	}
	if m := scrape(t, api); m[`evalhouse_stage_decisions_total{verdict="rollback"}`] != 1 {
		t.Errorf("stage decisions metric: %v", m[`evalhouse_stage_decisions_total{verdict="rollback"}`])
	}
}
