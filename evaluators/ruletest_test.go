package evaluators

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRunTestFilePasses(t *testing.T) {
	res, err := RunTestFile(context.Background(), "testdata/tests/good.test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results, want 2", len(res))
	}
	for _, r := range res {
		if !r.Passed() {
			t.Errorf("%s:%d %s: %v", r.File, r.Line, r.Name, r.Failures)
		}
	}
	if res[0].Line != 3 || res[1].Name != "everything wrong" {
		t.Errorf("results = %+v", res)
	}
}

func TestRunTestFileReportsFailures(t *testing.T) {
	res, err := RunTestFile(context.Background(), "testdata/tests/failing.test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{
			"cost_budget: want error, got pass",
			"helpfulness: want score 0.6, got 0.5",
			"task_success: want fail, got pass",
		},
		{
			`env: run.cost_usd: want a number, got a string`,
			`env: tool_calls[0]: unknown key "authorisation"`,
		},
		nil,
	}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d", len(res), len(want))
	}
	for i, r := range res {
		got := slices.Clone(r.Failures)
		slices.Sort(got)
		if !slices.Equal(got, want[i]) {
			t.Errorf("test %q failures:\n got %q\nwant %q", r.Name, got, want[i])
		}
	}
}

func TestRunTestFileRefusesBadFiles(t *testing.T) {
	for file, want := range map[string]string{
		"unknown_rule.bad.test.yaml":    `unknown_rule.bad.test.yaml:3: test "names a rule that does not exist": expect: no rule "no_such_rule" in rule_files`,
		"unknown_key.bad.test.yaml":     `unknown key "envs" in a test`,
		"bad_expectation.bad.test.yaml": `expectation "passes": want pass, fail or error`,
		"missing_rules.bad.test.yaml":   `rule_files: ` + filepath.Join("testdata", "nowhere", "*.yaml") + `: no such file`,
		"broken_rules.bad.test.yaml":    `rule "enums": severity: "critical"`,
		"no_such.test.yaml":             "no such file",
	} {
		_, err := RunTestFile(context.Background(), filepath.Join("testdata/tests", file))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", file, err, want)
		}
	}
}

func TestDecodeEnv(t *testing.T) {
	env, err := DecodeEnv(map[string]any{
		"run":  map[string]any{"status": "ok", "cost_usd": 1, "input_tokens": 2108.0, "duration_ms": uint64(7)},
		"case": map[string]any{"id": "c001", "input": map[any]any{"k": []any{1, "x"}}, "expected": map[string]any{"answer": "a"}, "tags": []any{"refund"}},
		"tool_calls": []any{
			map[string]any{"tool": "issue_refund", "args": map[string]any{"amount": 64.99}, "retry_count": 1},
		},
		"retrievals": []any{map[string]any{"freshness": map[string]any{"stale": true, "age_s": 10}}},
		"approvals":  []any{map[string]any{"expires_at": "2026-11-20T09:38:31.115Z", "result": "approved"}},
		"evals":      nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	if env.Run.Status != "ok" || env.Run.CostUSD != 1 || env.Run.InputTokens != 2108 || env.Run.DurationMS != 7 {
		t.Errorf("run = %+v", env.Run)
	}
	if in, ok := env.Case.Input.(map[string]any); !ok || len(in["k"].([]any)) != 2 {
		t.Errorf("case.input = %#v: want map[string]any all the way down", env.Case.Input)
	}
	if env.Case.Tags[0] != "refund" || env.ToolCalls[0].RetryCount != 1 || !env.Retrievals[0].Freshness.Stale {
		t.Errorf("env = %+v", env)
	}
	if got := env.Approvals[0].ExpiresAt.UTC().Format("15:04:05.000"); got != "09:38:31.115" {
		t.Errorf("expires_at = %s", got)
	}

	_, err = DecodeEnv(map[string]any{
		"run":        map[string]any{"input_tokens": 1.5, "status": 200},
		"tool_call":  []any{},
		"tool_calls": map[string]any{},
		"approvals":  []any{map[string]any{"expires_at": "yesterday"}},
		"retrievals": []any{map[string]any{"citation_required": "yes"}},
	})
	for _, want := range []string{
		"run.input_tokens: want an integer, got a number",
		"run.status: want a string, got a number",
		`env: unknown key "tool_call"`,
		"tool_calls: want a list, got an object",
		`approvals[0].expires_at: want an RFC 3339 time, got "yesterday"`,
		"retrievals[0].citation_required: want true or false, got a string",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}

	var deep any = "leaf"
	for range maxDecodeDepth + 5 {
		deep = []any{deep}
	}
	if _, err := DecodeEnv(map[string]any{"case": map[string]any{"input": deep}}); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("deep input: %v", err)
	}
}
