package runs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// runRows is a small run as events.RunEvents returns it, in (ts, span_id)
// order: a run span with a planning model call under which a tool call
// sits, an approval rejected and then a refund tried anyway, a retrieval
// without freshness, an event whose parent is in no span of the run, and
// two events whose parents point at each other.
func runRows(base time.Time) []events.Row {
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	row := func(kind envelope.Kind, span, parent string, ms int, edit func(*events.Row)) events.Row {
		r := events.Row{Tenant: "acme", Environment: "staging", Release: "2.4.0", RunID: "r1", TraceID: "t1", Kind: kind,
			EventID: "e-" + span, SpanID: span, ParentSpanID: parent, TS: at(ms), Status: "ok", Dataset: "bot@v1", CaseID: "c017"}
		if edit != nil {
			edit(&r)
		}
		return r
	}
	return []events.Row{
		row("run", "s0", "", 0, func(r *events.Row) {
			r.Actor, r.Task, r.StopReason, r.DurationMS, r.Input, r.Output = "bot", "refund", "completed", 4000, `{"q":"refund [REDACTED:email]"}`, "plain text"
		}),
		row("model", "s1", "s0", 10, func(r *events.Row) {
			r.Model, r.InputTokens, r.OutputTokens, r.CostUSD, r.CostSource, r.DurationMS = "gpt-4o", 100, 20, 0.25, "price_table", 900
		}),
		row("tool", "s2", "s1", 950, func(r *events.Row) {
			r.Tool, r.Authorization, r.SideEffect, r.Args, r.Status = "lookup_order", "allowed", "read", `{"order_id":"ORD-1"}`, "error"
		}),
		row("approval", "s3", "s0", 1000, func(r *events.Row) { r.Action, r.Result, r.ApproverRole = "issue_refund", "rejected", "support_lead" }),
		row("policy", "s4", "s0", 1100, func(r *events.Row) {
			r.PolicyVersion, r.Decision, r.ReasonCode = "refund-policy@7", "require_approval", "requires_manager"
		}),
		row("tool", "s5", "s0", 1200, func(r *events.Row) {
			r.Tool, r.Authorization, r.SideEffect = "issue_refund", "approval_required", "external"
			r.ContractViolations = []string{"idempotency_key"}
		}),
		row("tool", "s6", "s0", 1300, func(r *events.Row) {
			r.Tool, r.Authorization, r.SideEffect = "send_email", "approval_required", "external"
		}),
		row("retrieval", "s7", "s0", 1400, func(r *events.Row) {
			r.SourceIDs, r.AccessDecision, r.ContractViolations = []string{"kb:a"}, "allowed", []string{"freshness"}
			r.RedactionCounts, r.Redactions = map[string]uint32{"email": 1}, 1
		}),
		row("memory", "s8", "elsewhere", 1500, func(r *events.Row) { r.Op, r.WriteIDs = "write", []string{"summary:1"} }),
		row("policy", "s9", "s10", 1600, func(r *events.Row) { r.Decision = "deny" }),
		row("policy", "s10", "s9", 1700, func(r *events.Row) { r.Decision = "deny" }),
		row("eval", "s11", "s0", 3900, func(r *events.Row) { r.Evaluator, r.Score, r.Threshold, r.Passed = "helpfulness", 0.4, 0.7, false }),
	}
}

// TestAssemble checks the tree a responder reads: nesting by parent span
// in time order, every kind's section, the approval a side effect had (or
// lacked), the gaps, and figures that add up as the list's do.
func TestAssemble(t *testing.T) {
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	rows := runRows(base)
	results := []evaluators.RunResult{{RuleID: "approval_before_refund", RuleVersion: "v1", Reason: "refund without approval"},
		{RuleID: "helpful", RuleVersion: "v3", Passed: true, Score: 0.9}}
	tr := Assemble(rows, results)

	// Shape: run s0 (with its children) and the orphan s8, then the loop
	// cut at s9 (its parent s10 comes back to it) with s10 under it.
	var shape func([]*Event) string
	shape = func(es []*Event) string {
		var parts []string
		for _, e := range es {
			s := e.SpanID
			if len(e.Children) > 0 {
				s += "(" + shape(e.Children) + ")"
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " ")
	}
	if got := shape(tr.Events); got != "s0(s1(s2) s3 s4 s5 s6 s7 s11) s8 s9(s10)" {
		t.Errorf("tree = %s", got)
	}
	run := tr.Events[0]
	if run.Run == nil || run.Run.Actor != "bot" || string(run.Run.Input) != `{"q":"refund [REDACTED:email]"}` || string(run.Run.Output) != `"plain text"` {
		t.Errorf("run step = %+v", run.Run)
	}
	kids := run.Children
	if m := kids[0].Model; m == nil || m.InputTokens != 100 || m.CostUSD != 0.25 || m.CostSource != "price_table" || kids[0].OffsetMS != 10 {
		t.Errorf("model = %+v at %v", m, kids[0].OffsetMS)
	}
	if c := kids[0].Children[0].Tool; c == nil || string(c.Args) != `{"order_id":"ORD-1"}` || c.Approval != "" {
		t.Errorf("nested tool = %+v", c)
	}
	if c := kids[3].Tool; c.Tool != "issue_refund" || c.Approval != "rejected" {
		t.Errorf("refund after a rejection = %+v", c)
	}
	if c := kids[4].Tool; c.Tool != "send_email" || c.Approval != "none" {
		t.Errorf("e-mail with no approval = %+v", c)
	}
	if x := kids[5].Retrieval; x == nil || x.FreshnessKnown || kids[5].Redactions["email"] != 1 {
		t.Errorf("retrieval without freshness = %+v", x)
	}
	if g := tr.ContractGaps; len(g) != 2 || g[0] != (Gap{SpanID: "s5", Kind: "tool", Name: "issue_refund", Field: "idempotency_key"}) || g[1].Field != "freshness" {
		t.Errorf("gaps = %+v", g)
	}
	s := tr.Run
	if s.Events != 12 || s.ModelCalls != 1 || s.ToolCalls != 3 || s.ErrorEvents != 1 || s.CostUSD != 0.25 || s.InputTokens != 100 ||
		s.Policy["deny"] != 2 || s.Policy["require_approval"] != 1 || s.ContractViolations != 2 || s.Redactions != 1 ||
		!s.Started.Equal(base) || s.DurationMS != 4000 || s.StopReason != "completed" || s.CaseID != "c017" {
		t.Errorf("summary = %+v", s)
	}
	if len(s.Policy) != 2 || strings.Join(tr.Run.FailingRules, ",") != "approval_before_refund" {
		t.Errorf("policy %v, failing %v", s.Policy, tr.Run.FailingRules)
	}

	// The JSON is the documented one: field names a script may rely on.
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"run":{"tenant":"acme","run_id":"r1","trace_id":"t1"`, `"failing_rules":["approval_before_refund"]`,
		`"approval":"none"`, `"freshness_known":false`, `"eval_results":[{"rule_id":"approval_before_refund"`,
		`"contract_gaps":[{"span_id":"s5","kind":"tool","name":"issue_refund","field":"idempotency_key"}`, `"offset_ms":950`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}

	var text bytes.Buffer
	if err := tr.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{
		"run r1  trace t1  tenant acme  environment staging  release 2.4.0\n",
		"12 events: 1 model calls, 3 tool calls, 1 with status error  tokens 100 in / 20 out  cost $0.250000\n",
		"policy deny 2, require_approval 1  failing rules approval_before_refund",
		"input  {\"q\":\"refund [REDACTED:email]\"}\noutput \"plain text\"\n\n",
		"├─ +0ms      run bot refund → completed  (4.000s)\n",
		"│  ├─ +10ms     model gpt-4o (-) 100 in / 20 out tokens, $0.250000 price_table, latency 0ms, -  (900ms)\n",
		"│  │  └─ +950ms    tool lookup_order read, authorization allowed  args {\"order_id\":\"ORD-1\"}  STATUS ERROR\n",
		"tool send_email external, authorization approval_required (NO APPROVAL)\n",
		"│  └─ +3.900s   eval helpfulness  score 0.4 (threshold 0.7) FAILED\n",
		"└─ +1.600s   policy -: DENY - (enforcement -)\n   └─ +1.700s   policy -: DENY - (enforcement -)\n",
		"tool issue_refund external, authorization approval_required (NO APPROVAL: rejected)  GAP: idempotency_key",
		"retrieval kb:a, freshness unknown, access allowed  GAP: freshness  redacted: email 1",
		"  FAIL approval_before_refund v1 score 0  refund without approval\n",
		"  tool issue_refund (span s5): idempotency_key missing or invalid\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	// Lines come in time order within each level: the run's children.
	if i, j := strings.Index(out, "approval of issue_refund"), strings.Index(out, "tool issue_refund"); i < 0 || j < i {
		t.Errorf("approval (at %d) should precede the refund (at %d)", i, j)
	}
}

// TestAssembleEmpty: no events, no results still render (a run whose
// events expired between the lookup and the read).
func TestAssembleEmpty(t *testing.T) {
	tr := Assemble(nil, nil)
	b, err := json.Marshal(tr)
	if err != nil || !bytes.Contains(b, []byte(`"events":[],"eval_results":[],"contract_gaps":[]`)) {
		t.Errorf("empty tree JSON: %s %v", b, err)
	}
	var text bytes.Buffer
	if err := tr.WriteText(&text); err != nil || !strings.Contains(text.String(), "eval results: none stored") {
		t.Errorf("empty tree text: %v\n%s", err, text.String())
	}
}
