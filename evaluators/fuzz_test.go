package evaluators

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// FuzzLoadRules: no rules file, however broken, panics the loader, and any
// rule it accepts has a version and evaluates to a verdict.
func FuzzLoadRules(f *testing.F) {
	for _, pat := range []string{"testdata/good/*.y*ml", "testdata/bad/*.yaml", "../examples/rules/*.yaml"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("rules:\n  - &a {id: x, expr: 'true'}\n  - *a\n"))
	f.Add([]byte("rules: [{id: s, type: score, threshold: .inf, expr: '1.0'}]"))
	f.Add([]byte("rules:\n  - id: m\n    expr: |\n      all(tool_calls, any(1..10, # > 3))\n"))
	hex12 := regexp.MustCompile(`^[0-9a-f]{12}$`)
	env := bigEnvSmall()
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse("fuzz.yaml", data)
		if err != nil {
			if rs != nil {
				t.Fatal("a rule set alongside an error")
			}
			return
		}
		for _, r := range rs.Rules {
			if !hex12.MatchString(r.Version) || r.Validate() != nil {
				t.Fatalf("accepted rule %+v", r)
			}
			if v := r.Eval(context.Background(), env); v.Err != "" && v.Passed {
				t.Fatalf("an error that passed: %+v", v)
			}
		}
	})
}

// bigEnvSmall is a run with a little of everything.
func bigEnvSmall() *Env {
	return &Env{
		Run:        Run{Status: "ok", Output: "Your refund of $64.99 is on its way.", CostUSD: 0.02},
		Case:       Case{ID: "c002", Expected: map[string]any{"answer": "refund"}, Tags: []string{"refund"}},
		ToolCalls:  []ToolCall{{Tool: "lookup_order", SideEffect: "read"}, {Tool: "issue_refund", SideEffect: "external", IdempotencyKey: "k"}},
		Retrievals: []Retrieval{{SourceIDs: []string{"kb:refund-policy#v4"}}},
		Evals:      []EvalResult{{Evaluator: "helpfulness", Score: 0.8}},
	}
}
