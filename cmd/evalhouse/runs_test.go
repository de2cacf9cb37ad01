package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/reports/runs"
)

// demoLine is what the test reads of one line of the demo's events files.
type demoLine struct {
	Kind         string  `json:"kind"`
	SpanID       string  `json:"span_id"`
	RunID        string  `json:"run_id"`
	TraceID      string  `json:"trace_id"`
	Model        string  `json:"model"`
	Tool         string  `json:"tool"`
	InputTokens  uint64  `json:"input_tokens"`
	OutputTokens uint64  `json:"output_tokens"`
	Decision     string  `json:"decision"`
	DurationMS   float64 `json:"duration_ms"`
	Status       string  `json:"status"`
}

// demoRuns reads a restamped events file: each run's lines, in file order.
func demoRuns(t *testing.T, release string) map[string][]demoLine {
	t.Helper()
	f, err := os.Open(filepath.Join(examples, "events-"+release+".ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]demoLine{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l demoLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out[l.RunID] = append(out[l.RunID], l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunsForResponders drives `evalhouse runs`, `run show` and `incident
// open --run` as a responder does on the demo, after `eval`: the list's
// figures are the ingested lines' sums, every filter narrows it as it
// says, a run is reconstructed event by event in the order its lines were
// written, and an unknown id fails with its exit code.
func TestRunsForResponders(t *testing.T) {
	storeArg, _ := storeFlag(t)
	ex := exampleRoot
	must := func(want int, args ...string) string {
		t.Helper()
		out, code := run(t, nil, append([]string{storeArg}, args...)...)
		if code != want {
			t.Fatalf("evalhouse %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	list := func(args ...string) runs.List {
		t.Helper()
		var l runs.List
		out := must(0, append([]string{"runs", "--json"}, args...)...)
		if err := json.Unmarshal([]byte(out), &l); err != nil {
			t.Fatalf("runs %v: %v\n%s", args, err, out)
		}
		return l
	}
	ids := func(l runs.List) string {
		var out []string
		for _, r := range l.Runs {
			out = append(out, r.RunID)
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}
	must(0, "dataset", "create", "support-bot", "--from", ex+"/datasets/support-bot-v1.jsonl")
	for _, r := range []string{"2.3.1", "2.4.0"} {
		must(0, "ingest", filepath.Join(examples, "events-"+r+".ndjson"))
		must(0, "eval", "--dataset", "support-bot@v1", "--release", r, "--rules", ex+"/rules")
	}

	// Every run of 2.4.0, its figures summed from the file's lines.
	lines := demoRuns(t, "2.4.0")
	all := list("--release", "2.4.0", "--limit", "0")
	if len(all.Runs) != 28 || len(lines) != 28 || all.More {
		t.Fatalf("2.4.0 lists %d runs (more %v), the file has %d", len(all.Runs), all.More, len(lines))
	}
	for i, r := range all.Runs {
		if i > 0 && r.Started.After(all.Runs[i-1].Started) {
			t.Errorf("%s listed after the older %s", r.RunID, all.Runs[i-1].RunID)
		}
		ls := lines[r.RunID]
		var models, tools, in, out uint64
		deny := uint64(0)
		for _, l := range ls {
			models += b2u(l.Kind == "model")
			tools += b2u(l.Kind == "tool")
			deny += b2u(l.Kind == "policy" && l.Decision == "deny")
			in, out = in+l.InputTokens, out+l.OutputTokens
		}
		if r.Events != uint64(len(ls)) || r.ModelCalls != models || r.ToolCalls != tools || r.InputTokens != in || r.OutputTokens != out ||
			r.Policy["deny"] != deny || r.TraceID != ls[0].TraceID || r.DurationMS != ls[0].DurationMS || r.Status != ls[0].Status {
			t.Errorf("%s = %+v; its %d lines: %d model, %d tool, %d/%d tokens, %d denials", r.RunID, r.RunSummary, len(ls), models, tools, in, out, deny)
		}
	}

	// Filters, each against what the demo's README says of 2.4.0.
	if got := ids(list("--release", "2.4.0", "--status", "error")); got != "run-2.4.0-c016 run-2.4.0-c020" {
		t.Errorf("--status error: %s", got)
	}
	if got := ids(list("--release", "2.4.0", "--policy", "deny")); got != "run-2.4.0-c008 run-2.4.0-c018" {
		t.Errorf("--policy deny: %s", got)
	}
	if got := ids(list("--policy", "deny", "--release", "2.3.1")); got != "" {
		t.Errorf("2.3.1 has no denial, listed %s", got)
	}
	if got := ids(list("--failed-rule", "no_unapproved_side_effects", "--release", "2.4.0")); got != "run-2.4.0-c015 run-2.4.0-c017 run-2.4.0-c022" {
		t.Errorf("--failed-rule no_unapproved_side_effects: %s", got)
	}
	if got := ids(list("--failed-rule", "no_unapproved_side_effects", "--release", "2.3.1")); got != "" {
		t.Errorf("2.3.1 fails no_unapproved_side_effects on %s", got)
	}
	prod := list("--environment", "production", "--tenant", "acme", "--limit", "0")
	if len(prod.Runs) != 8 || !strings.Contains(ids(prod), "run-2.4.0-p04") {
		t.Errorf("production: %s", ids(prod))
	}
	limited := list("--limit", "3")
	if len(limited.Runs) != 3 || !limited.More || limited.Runs[0].Release != "2.4.0" {
		t.Errorf("--limit 3: %d runs, more %v", len(limited.Runs), limited.More)
	}
	// The demo's runs were restamped to the hours before now: none is newer
	// than a minute ago, all are newer than 30 days.
	if got := list("--since", "1m"); len(got.Runs) != 0 {
		t.Errorf("--since 1m: %s", ids(got))
	}
	if got := list("--since", "30d", "--until", time.Now().UTC().Format(time.RFC3339), "--limit", "0"); len(got.Runs) != 56 {
		t.Errorf("--since 30d --until now: %d runs", len(got.Runs))
	}
	for _, r := range list("--release", "2.4.0", "--limit", "0").Runs {
		if r.RunID == "run-2.4.0-c017" && !slices.Contains(r.FailingRules, "no_unapproved_side_effects") {
			t.Errorf("c017 failing rules = %v", r.FailingRules)
		}
	}
	text := must(0, "runs", "--release", "2.4.0", "--status", "error")
	if !strings.Contains(text, "STARTED") || !strings.Contains(text, "run-2.4.0-c020") || !strings.Contains(text, "max_turns") || !strings.Contains(text, "2 run(s)") {
		t.Errorf("runs text:\n%s", text)
	}

	// One run reconstructed: c017 (a refund with no approval), by run id
	// and by trace id, event by event in the order its lines were written.
	c017 := lines["run-2.4.0-c017"]
	var tree runs.Tree
	if err := json.Unmarshal([]byte(must(0, "run", "show", "run-2.4.0-c017", "--json")), &tree); err != nil {
		t.Fatal(err)
	}
	var flat []*runs.Event
	var walk func([]*runs.Event)
	walk = func(es []*runs.Event) {
		for _, e := range es {
			flat = append(flat, e)
			walk(e.Children)
		}
	}
	walk(tree.Events)
	if len(tree.Events) != 1 || tree.Events[0].Kind != "run" || len(flat) != len(c017) {
		t.Fatalf("tree: %d top-level, %d events; the file has %d", len(tree.Events), len(flat), len(c017))
	}
	for i, e := range flat {
		l := c017[i]
		if e.Kind != l.Kind || e.SpanID != l.SpanID || e.DurationMS != l.DurationMS {
			t.Errorf("event %d: %s %s, line %d: %s %s", i, e.Kind, e.SpanID, i+1, l.Kind, l.SpanID)
		}
		if l.Kind == "model" && (e.Model == nil || e.Model.Model != l.Model || e.Model.InputTokens != l.InputTokens || e.Model.OutputTokens != l.OutputTokens || e.Model.CostUSD <= 0) {
			t.Errorf("model event %s = %+v, line %+v", e.SpanID, e.Model, l)
		}
		if l.Kind == "tool" && (e.Tool == nil || e.Tool.Tool != l.Tool) {
			t.Errorf("tool event %s = %+v, line %+v", e.SpanID, e.Tool, l)
		}
		if i > 0 && e.OffsetMS < flat[i-1].OffsetMS {
			t.Errorf("event %d at +%v ms precedes event %d at +%v ms", i, e.OffsetMS, i-1, flat[i-1].OffsetMS)
		}
	}
	var refund *runs.ToolCall
	for _, e := range flat {
		if e.Tool != nil && e.Tool.Tool == "issue_refund" {
			refund = e.Tool
		}
	}
	if refund == nil || refund.Approval != "none" || refund.Authorization != "approval_required" {
		t.Errorf("c017's refund = %+v, want approval_required with no approval", refund)
	}
	listed := all.Runs[slices.IndexFunc(all.Runs, func(r runs.Run) bool { return r.RunID == "run-2.4.0-c017" })]
	if s := tree.Run; s.Events != listed.Events || s.ModelCalls != listed.ModelCalls || math.Abs(s.CostUSD-listed.CostUSD) > 1e-12 ||
		s.InputTokens != listed.InputTokens || !slices.Equal(s.FailingRules, listed.FailingRules) || len(tree.EvalResults) == 0 {
		t.Errorf("run show's figures %+v differ from the list's %+v", s, listed)
	}
	byTrace := must(0, "run", "show", c017[0].TraceID)
	for _, want := range []string{"run run-2.4.0-c017  trace " + c017[0].TraceID, "tool issue_refund external, authorization approval_required (NO APPROVAL)",
		"FAIL no_unapproved_side_effects", "├─ +", "policy refund-policy@7"} {
		if !strings.Contains(byTrace, want) {
			t.Errorf("run show by trace lacks %q:\n%s", want, byTrace)
		}
	}
	// c009's retrieval has no freshness: a contract gap.
	if out := must(0, "run", "show", "run-2.4.0-c009"); !strings.Contains(out, "freshness unknown") || !strings.Contains(out, "retrieval - (span ") {
		t.Errorf("c009:\n%s", out)
	}

	// Unknown ids and bad flags fail with their codes, naming what.
	if out := must(3, "run", "show", "run-none"); !strings.Contains(out, `no run or trace "run-none" in the store`) {
		t.Errorf("unknown run: %s", out)
	}
	if out := must(3, "run", "show", "run-2.4.0-c017", "--tenant", "globex"); !strings.Contains(out, "of tenant globex") {
		t.Errorf("another tenant's run: %s", out)
	}
	for _, tc := range []struct{ args, want string }{
		{"--status failed", `--status "failed": want one of ok, error`},
		{"--policy block", `--policy "block": want one of allow, deny, require_approval`},
		{"--limit -1", "--limit -1"},
		{"--since yesterday", `--since "yesterday"`},
		{"--since 1h --until 2h", "is not before --until"},
	} {
		if out := must(2, append([]string{"runs"}, strings.Fields(tc.args)...)...); !strings.Contains(out, tc.want) {
			t.Errorf("runs %s: %s", tc.args, out)
		}
	}

	// incident open --run: the run's trace, as --trace would.
	p04 := lines["run-2.4.0-p04"][0].TraceID
	out := must(0, "incident", "open", "--run", "run-2.4.0-p04", "--title", "reset token pasted into chat", "--severity", "sev2")
	if !strings.Contains(out, "run run-2.4.0-p04 (tenant acme): trace "+p04) || !strings.Contains(out, "opened INC-1") {
		t.Errorf("incident open --run: %s", out)
	}
	var inc struct {
		TraceIDs []string `json:"trace_ids"`
	}
	if err := json.Unmarshal([]byte(must(0, "incident", "show", "INC-1")), &inc); err != nil || fmt.Sprint(inc.TraceIDs) != "["+p04+"]" {
		t.Errorf("INC-1 traces = %v, %v", inc.TraceIDs, err)
	}
	if out := must(3, "incident", "open", "--run", "run-none", "--title", "x"); !strings.Contains(out, `--run run-none: runs: not found: no run or trace "run-none"`) {
		t.Errorf("incident open --run unknown: %s", out)
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
