package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseLoop walks the whole evidence loop as `make demo` does:
// dataset v1 → eval release 2.3.1 (passes) and 2.4.0 (fails, with named
// cases) → gate both → an incident on a failed production run → promoted
// into v2 (once, however often it is promoted) → the fix release gated on v2
// with the new fixture in its evidence.
func TestReleaseLoop(t *testing.T) {
	store, _ := storeFlag(t)
	ex := exampleRoot
	must := func(want int, args ...string) string {
		t.Helper()
		out, code := run(t, nil, append([]string{store}, args...)...)
		if code != want {
			t.Fatalf("evalhouse %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	must(0, "dataset", "create", "support-bot", "--from", ex+"/datasets/support-bot-v1.jsonl")
	for _, r := range []string{"2.3.1", "2.4.0"} {
		must(0, "ingest", filepath.Join(ex, "support-agent", "events-"+r+".ndjson"))
		must(0, "eval", "--dataset", "support-bot@v1", "--release", r, "--rules", ex+"/rules")
	}
	// Re-scoring is idempotent.
	before := sqlCount(t, store, "SELECT count() FROM eval_results FINAL")
	must(0, "eval", "--dataset", "support-bot@v1", "--release", "2.4.0", "--rules", ex+"/rules")
	if after := sqlCount(t, store, "SELECT count() FROM eval_results FINAL"); after != before {
		t.Fatalf("re-scoring changed the result count: %d → %d", before, after)
	}

	gateArgs := func(release string, extra ...string) []string {
		return append([]string{"gate", "--config", ex + "/gate.yaml", "--release", release, "--commit", "abc123"}, extra...)
	}
	out := must(0, gateArgs("2.3.1")...)
	if !strings.Contains(out, "gate PASS") {
		t.Fatalf("2.3.1:\n%s", out)
	}
	dir := t.TempDir()
	junit, md, js := filepath.Join(dir, "g.xml"), filepath.Join(dir, "g.md"), filepath.Join(dir, "g.json")
	out = must(1, gateArgs("2.4.0", "--baseline", "2.3.1", "--junit", junit, "--markdown", md, "--json", js)...)
	if !strings.Contains(out, "gate FAIL") || !strings.Contains(out, "case c0") {
		t.Fatalf("2.4.0 does not fail with named cases:\n%s", out)
	}
	var ev struct {
		Verdict        string `json:"verdict"`
		DatasetVersion int    `json:"dataset_version"`
		Commit         string `json:"commit"`
	}
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &ev); err != nil || ev.Verdict != "fail" || ev.DatasetVersion != 1 || ev.Commit != "abc123" {
		t.Fatalf("json evidence: %v %s", err, b)
	}
	if x, _ := os.ReadFile(junit); !strings.Contains(string(x), "<failure") {
		t.Fatalf("junit: %s", x)
	}

	// The failed production run: 2.4.0 pasted a reset token into the chat.
	trace := strings.TrimSpace(lastLine(must(0, "sql", "--format", "tsv", "SELECT trace_id FROM agent_events WHERE run_id = 'run-2.4.0-p04' AND kind = 'run'")))
	out = must(0, "incident", "open", "--trace", trace, "--title", "reset token pasted into chat", "--severity", "sev2", "--owner", "support-oncall")
	if !strings.Contains(out, "INC-1") {
		t.Fatalf("incident open: %s", out)
	}
	expect := `{"answer":"sent a password reset link","must_not_contain":"reset?t="}`
	out = must(0, "incident", "promote", "INC-1", "--dataset", "support-bot", "--expect", expect)
	if !strings.Contains(out, "support-bot@v2") {
		t.Fatalf("promote: %s", out)
	}
	out = must(0, "incident", "promote", "INC-1", "--dataset", "support-bot", "--expect", expect)
	if !strings.Contains(out, "no new version") {
		t.Fatalf("second promote: %s", out)
	}
	if n := sqlCount(t, store, "SELECT count() FROM datasets FINAL WHERE name = 'support-bot'"); n != 2 {
		t.Fatalf("%d versions of support-bot, want 2", n)
	}
	// The fixture carries no secret: the token was redacted at ingest and again at promotion.
	if n := sqlCount(t, store, "SELECT count() FROM dataset_items WHERE position(snapshot, 'reset?t=eyJ') > 0 OR position(input, 'eyJ') > 0"); n != 0 {
		t.Fatalf("%d dataset items carry the token", n)
	}

	// Before the fix release has runs on v2, the gate holds.
	must(2, gateArgs("2.4.1")...)
	must(0, "ingest", filepath.Join(ex, "support-agent", "events-2.4.1.ndjson"))
	must(0, "eval", "--dataset", "support-bot@v2", "--release", "2.4.1", "--rules", ex+"/rules")
	out = must(0, gateArgs("2.4.1")...)
	if !strings.Contains(out, "support-bot@v2") || !strings.Contains(out, "new fixture incident-run-2-4-0-p04 from incident INC-1") {
		t.Fatalf("2.4.1 on v2:\n%s", out)
	}
	if n := sqlCount(t, store, "SELECT count() FROM gate_decisions"); n != 4 {
		t.Fatalf("%d gate decisions stored, want 4", n)
	}
	selectStarEverywhere(t, store)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
