package evaluators

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// boolRule compiles one bool rule with the expression as a YAML block.
func boolRule(t testing.TB, src string) *Rule {
	t.Helper()
	return ruleFromYAML(t, "  - id: r\n    expr: |\n"+indent(src, "      "))
}

// scoreRule compiles one score rule with the threshold.
func scoreRule(t testing.TB, threshold, src string) *Rule {
	t.Helper()
	return ruleFromYAML(t, "  - id: s\n    type: score\n    threshold: "+threshold+"\n    expr: |\n"+indent(src, "      "))
}

func ruleFromYAML(t testing.TB, item string) *Rule {
	t.Helper()
	rs, err := Parse("test.yaml", []byte("rules:\n"+item))
	if err != nil {
		t.Fatal(err)
	}
	return rs.Rules[0]
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestExpressionsReadAsTheyRead: the five expressions the rules docs lead
// with, each on an Env that passes and Envs that fail.
func TestExpressionsReadAsTheyRead(t *testing.T) {
	answered := Env{
		Run:  Run{Status: "ok", Output: "Your order ORD-48213 arrives within two business days."},
		Case: Case{ID: "c001", Expected: map[string]any{"answer": "two business days"}},
	}
	refund := ToolCall{Tool: "issue_refund", Status: "ok", SideEffect: "external", Authorization: "approval_required", IdempotencyKey: "idem_1"}
	lookup := ToolCall{Tool: "lookup_order", Status: "ok", SideEffect: "read", Authorization: "allowed"}
	denied := ToolCall{Tool: "issue_refund", Status: "error", SideEffect: "external", Authorization: "denied", IdempotencyKey: "idem_2"}

	cases := []struct {
		expr string
		pass map[string]Env
		fail map[string]Env
	}{{
		expr: `run.status == "ok" && run.output contains case.expected.answer`,
		pass: map[string]Env{"answer in reply": answered},
		fail: map[string]Env{
			"run errored":     {Run: Run{Status: "error", Output: answered.Run.Output}, Case: answered.Case},
			"answer missing":  {Run: Run{Status: "ok", Output: "Sorry, I can't find that order."}, Case: answered.Case},
			"case differs":    {Run: answered.Run, Case: Case{Expected: map[string]any{"answer": "refund issued"}}},
			"case-sensitive":  {Run: answered.Run, Case: Case{Expected: map[string]any{"answer": "Two Business Days"}}},
			"no answer given": {Run: answered.Run}, // contains nil: an error, which fails
		},
	}, {
		expr: `all(tool_calls, .authorization != "denied" || .status == "error")`,
		pass: map[string]Env{
			"no tool calls":      {},
			"all allowed":        {ToolCalls: []ToolCall{lookup, refund}},
			"denied and blocked": {ToolCalls: []ToolCall{lookup, denied}},
		},
		fail: map[string]Env{
			"denied but ran": {ToolCalls: []ToolCall{lookup, {Tool: "issue_refund", Status: "ok", Authorization: "denied"}}},
		},
	}, {
		expr: `none(tool_calls, .side_effect == "external" && .authorization == "approval_required") || any(approvals, .result == "approved")`,
		pass: map[string]Env{
			"no gated call":   {ToolCalls: []ToolCall{lookup}},
			"approved refund": {ToolCalls: []ToolCall{lookup, refund}, Approvals: []Approval{{Action: "issue_refund", Result: "approved"}}},
			"read needs none": {ToolCalls: []ToolCall{{SideEffect: "read", Authorization: "approval_required"}}},
		},
		fail: map[string]Env{
			"no approval":       {ToolCalls: []ToolCall{lookup, refund}},
			"approval rejected": {ToolCalls: []ToolCall{refund}, Approvals: []Approval{{Action: "issue_refund", Result: "rejected"}}},
		},
	}, {
		expr: `run.cost_usd <= 0.05`,
		pass: map[string]Env{"cheap": {Run: Run{CostUSD: 0.012}}, "at budget": {Run: Run{CostUSD: 0.05}}, "unpriced": {}},
		fail: map[string]Env{"over budget": {Run: Run{CostUSD: 0.0501}}},
	}, {
		expr: `all(retrievals, !.freshness.stale)`,
		pass: map[string]Env{
			"no retrievals": {},
			"fresh":         {Retrievals: []Retrieval{{SourceIDs: []string{"kb:refund-policy#v4"}, Freshness: Freshness{AgeS: 3600}}}},
		},
		fail: map[string]Env{
			"one stale": {Retrievals: []Retrieval{{}, {Freshness: Freshness{Stale: true, AgeS: 10195200}}}},
		},
	}}
	ctx := context.Background()
	for _, c := range cases {
		r := boolRule(t, c.expr)
		for name, env := range c.pass {
			if v := r.Eval(ctx, &env); !v.Passed || v.Err != "" || v.Score != 1 || v.Reason != "" {
				t.Errorf("%s\n  %s: got %+v, want a pass", c.expr, name, v)
			}
		}
		for name, env := range c.fail {
			if v := r.Eval(ctx, &env); v.Passed || v.Score != 0 || v.Reason == "" {
				t.Errorf("%s\n  %s: got %+v, want a failure", c.expr, name, v)
			}
		}
	}
}

func TestScoreRule(t *testing.T) {
	r := scoreRule(t, "0.7", `let h = filter(evals, .evaluator == "helpfulness");
len(h) == 0 ? 0.0 : mean(map(h, .score))`)
	ctx := context.Background()
	v := r.Eval(ctx, &Env{Evals: []EvalResult{{Evaluator: "helpfulness", Score: 0.81}}})
	if !v.Passed || v.Score != 0.81 || v.Reason != "" {
		t.Errorf("0.81: %+v", v)
	}
	v = r.Eval(ctx, &Env{Evals: []EvalResult{{Evaluator: "helpfulness", Score: 0.7}}})
	if !v.Passed {
		t.Errorf("a score equal to the threshold passes: %+v", v)
	}
	v = r.Eval(ctx, &Env{Evals: []EvalResult{{Evaluator: "helpfulness", Score: 0.42}, {Evaluator: "tone", Score: 1}}})
	if v.Passed || v.Score != 0.42 || v.Reason != "score 0.42 < threshold 0.7" {
		t.Errorf("0.42: %+v", v)
	}
	if v.RuleID != "s" || v.RuleVersion != r.Version {
		t.Errorf("verdict names %s@%s, want s@%s", v.RuleID, v.RuleVersion, r.Version)
	}
	// Integers are scores too; NaN is an error, never a pass.
	if v := scoreRule(t, "2", "len(tool_calls)").Eval(ctx, &Env{ToolCalls: make([]ToolCall, 3)}); !v.Passed || v.Score != 3 {
		t.Errorf("int score: %+v", v)
	}
	if v := scoreRule(t, "0", "0.0 / 0.0").Eval(ctx, &Env{}); v.Passed || v.Err == "" {
		t.Errorf("NaN score: %+v", v)
	}
}

func TestErrorsFailTheCase(t *testing.T) {
	ctx := context.Background()
	for expr, want := range map[string]string{
		`tool_calls[3].status == "ok"`:            "index out of range",
		`case.expected.answer > 2`:                "invalid operation",
		`len(tool_calls) % (len(approvals)) == 0`: "integer divide by zero",
	} {
		v := boolRule(t, expr).Eval(ctx, &Env{ToolCalls: make([]ToolCall, 1), Case: Case{Expected: map[string]any{"answer": "x"}}})
		if v.Passed || !strings.Contains(v.Err, want) || v.Reason != "error: "+v.Err {
			t.Errorf("%s: %+v, want an error containing %q", expr, v, want)
		}
		if !strings.Contains(v.Err, "(expr 1:") {
			t.Errorf("%s: error %q does not say where", expr, v.Err)
		}
	}
	if v := boolRule(t, "true").Eval(ctx, nil); v.Passed || v.Err == "" {
		t.Errorf("nil env: %+v", v)
	}
	if v := (&Rule{ID: "raw"}).Eval(ctx, &Env{}); v.Passed || !strings.Contains(v.Err, "not compiled") {
		t.Errorf("uncompiled rule: %+v", v)
	}
}

func TestCanceledContextFails(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := boolRule(t, "true")
	if v := r.Eval(ctx, &Env{}); v.Passed || !strings.Contains(v.Err, "context canceled") {
		t.Errorf("canceled before: %+v", v)
	}
	// Canceled mid-loop: the checkpoint notices.
	ctx, cancel = context.WithCancel(context.Background())
	e := newEvalEnv(ctx, &Env{}, DefaultTimeout)
	if err := tick(e); err != nil {
		t.Fatal(err)
	}
	cancel()
	var err error
	for range checkEvery {
		if err = tick(e); err != nil {
			break
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("checkpoint after cancel: %v", err)
	}
}

func TestRuleSetEvalByScope(t *testing.T) {
	rs, err := Parse("scopes.yaml", []byte(`rules:
  - {id: d, scope: dataset, expr: "true"}
  - {id: p, scope: production, expr: "false"}
  - {id: b, expr: "true"}
`))
	if err != nil {
		t.Fatal(err)
	}
	ids := func(vs []Verdict) string {
		var s []string
		for _, v := range vs {
			s = append(s, v.RuleID)
		}
		return strings.Join(s, ",")
	}
	ctx := context.Background()
	for scope, want := range map[Scope]string{ScopeDataset: "d,b", ScopeProduction: "p,b", ScopeBoth: "d,p,b", "": "d,p,b"} {
		if got := ids(rs.Eval(ctx, &Env{}, scope)); got != want {
			t.Errorf("scope %q ran %s, want %s", scope, got, want)
		}
	}
}

func TestRuleIsSafeForConcurrentUse(t *testing.T) {
	r := boolRule(t, `all(tool_calls, .authorization != "denied" || .status == "error")`)
	good := &Env{ToolCalls: []ToolCall{{Authorization: "allowed"}}}
	bad := &Env{ToolCalls: []ToolCall{{Authorization: "denied", Status: "ok"}}}
	done := make(chan bool)
	for i := range 8 {
		go func() {
			ok := true
			for range 200 {
				env, want := good, true
				if i%2 == 1 {
					env, want = bad, false
				}
				ok = ok && r.Eval(context.Background(), env).Passed == want
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("a concurrent evaluation got the wrong verdict")
		}
	}
}

// tick runs one checkpoint and returns the error it stops the VM with.
func tick(e *evalEnv) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = p.(error)
		}
	}()
	e.Checkpoint()
	return nil
}
