package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const exampleRules = "../../examples/rules"

func TestRulesCheckExamples(t *testing.T) {
	out, code := run(t, nil, "rules", "check", "--env", exampleRules)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"task_success", "no_unapproved_side_effects", "tool_authorization", "idempotency",
		"fresh_retrieval", "cost_budget", "policy_compliance", "helpfulness", "score≥0.7",
		"8 rule(s) compiled",
		"tool_calls[].idempotency_key", "retrievals[].freshness.stale", "list<object>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRulesCheckReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("rules:\n  - id: a\n    expr: |\n      all(tool_calls, .autorization == \"allowed\")\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("rules:\n  - id: b\n    type: score\n    expr: \"1.0\"\n"), 0o644)
	out, code := run(t, nil, "rules", "check", dir)
	if code != 3 {
		t.Fatalf("exit %d, want 3:\n%s", code, out)
	}
	for _, want := range []string{
		"a.yaml:4:24: rule \"a\": expr: type ToolCall has no field autorization",
		"  | all(tool_calls, .autorization == \"allowed\")\n  |                  ^",
		"b.yaml:2: rule \"b\": threshold: required for score rules",
		"2 problem(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRulesTestExamples(t *testing.T) {
	out, code := run(t, nil, "rules", "test", exampleRules+"/tests/support-bot.test.yaml")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "PASS  ") || strings.Contains(out, "FAIL") || !strings.Contains(out, "14 passed, 0 failed") {
		t.Errorf("output:\n%s", out)
	}
}

func TestRulesTestFailureExits1(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "r.yaml"), []byte("rules:\n  - id: cheap\n    expr: run.cost_usd <= 0.05\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "r.test.yaml"), []byte(`rule_files: [r.yaml]
tests:
  - name: expensive
    env: {run: {cost_usd: 0.5}}
    expect: {cheap: pass}
`), 0o644)
	out, code := run(t, nil, "rules", "test", filepath.Join(dir, "r.test.yaml"), filepath.Join(dir, "missing.test.yaml"))
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{"FAIL  ", "r.test.yaml:3  expensive", "cheap: want pass, got fail (expr returned false)", "ERROR ", "0 passed, 1 failed, 1 file(s) could not run"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
