package evaluators

import (
	"context"
	"testing"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// benchExprs are the rules the docs lead with, on a support-bot-sized run.
var benchExprs = map[string]string{
	"cost":          `run.cost_usd <= 0.05`,
	"task_success":  `run.status == "ok" && run.output contains case.expected.answer`,
	"authorization": `all(tool_calls, .authorization != "denied" || .status == "error")`,
	"approvals":     `none(tool_calls, .side_effect == "external" && .authorization == "approval_required") || any(approvals, .result == "approved")`,
	"idempotency":   `all(tool_calls, .side_effect in ["none","read"] || .idempotency_key != "")`,
	"map_mean":      `mean(map(evals, .score)) >= 0.7`,
}

func benchEnv() *Env {
	return &Env{
		Run:  Run{Status: "ok", Output: "Your refund of $189.00 for ORD-50342 is on its way: 3-5 business days.", CostUSD: 0.014},
		Case: Case{ID: "c005", Expected: map[string]any{"answer": "3-5 business days"}},
		ToolCalls: []ToolCall{
			{Tool: "lookup_order", Status: "ok", Authorization: "allowed", SideEffect: "read"},
			{Tool: "search_kb", Status: "ok", Authorization: "allowed", SideEffect: "read"},
			{Tool: "issue_refund", Status: "ok", Authorization: "approval_required", SideEffect: "external", IdempotencyKey: "idem_1"},
			{Tool: "send_email", Status: "ok", Authorization: "allowed", SideEffect: "external", IdempotencyKey: "idem_2"},
		},
		Approvals: []Approval{{ApproverRole: "support_lead", Action: "issue_refund", Result: "approved"}},
		Evals:     []EvalResult{{Evaluator: "helpfulness", Score: 0.81}, {Evaluator: "tone", Score: 0.9}},
	}
}

// BenchmarkRuleEval is Rule.Eval: the compiled rule with its checkpoints,
// deadline and memory budget, down to the Verdict.
func BenchmarkRuleEval(b *testing.B) {
	env := benchEnv()
	for name, src := range benchExprs {
		r := boolRule(b, src)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if !r.Eval(context.Background(), env).Passed {
					b.Fatal("failed")
				}
			}
		})
	}
}

// BenchmarkRawVM is expr.Run of the same compiled program (checkpoints
// included) on the same env: what Eval adds around the VM.
func BenchmarkRawVM(b *testing.B) {
	env := benchEnv()
	for name, src := range benchExprs {
		r := boolRule(b, src)
		b.Run(name, func(b *testing.B) {
			e := newEvalEnv(context.Background(), env, DefaultTimeout)
			for b.Loop() {
				e.reset(context.Background(), env, DefaultTimeout) // reused: a fresh evaluation each time
				if out, err := expr.Run(r.program, e); err != nil || out != true {
					b.Fatal(out, err)
				}
			}
		})
	}
}

// BenchmarkPlainExpr is expr as the expr docs use it: compiled against Env
// with no checkpoints, run with expr.Run. The baseline for all overheads.
func BenchmarkPlainExpr(b *testing.B) {
	env := benchEnv()
	for name, src := range benchExprs {
		p, err := expr.Compile(src, expr.Env(Env{}), expr.AsBool())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if out, err := expr.Run(p, env); err != nil || out != true {
					b.Fatal(out, err)
				}
			}
		})
	}
}

// BenchmarkGoroutineDeadline is the design Eval does not use: the plain
// program in a goroutine per evaluation, abandoned at the deadline. Kept
// to show why (see docs/rules.md, Limits).
func BenchmarkGoroutineDeadline(b *testing.B) {
	env := benchEnv()
	type result struct {
		out any
		err error
	}
	for name, src := range benchExprs {
		p, err := expr.Compile(src, expr.Env(Env{}), expr.AsBool())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			timeouts := 0
			for b.Loop() {
				ch := make(chan result, 1)
				go func() {
					m := vm.VM{MemoryBudget: MemoryBudget}
					out, err := m.Run(p, env)
					ch <- result{out, err}
				}()
				timer := time.NewTimer(DefaultTimeout)
				select {
				case r := <-ch:
					if r.err != nil || r.out != true {
						b.Fatal(r.out, r.err)
					}
				case <-timer.C:
					timeouts++ // on a loaded machine, even `run.cost_usd <= 0.05`
				}
				timer.Stop()
			}
			b.ReportMetric(float64(timeouts), "timeouts")
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	for b.Loop() {
		if _, err := LoadDir("../examples/rules"); err != nil {
			b.Fatal(err)
		}
	}
}
