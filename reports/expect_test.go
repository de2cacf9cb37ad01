package reports_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/reports"
)

// handReport is a report with a tools table and one policy matrix, no
// store needed.
func handReport() *reports.Report {
	tools := &reports.Table{Title: "Tools", Dims: []string{"tool"},
		Metrics: []events.Metric{{Name: "tool_calls", Unit: "count"}, {Name: "error_rate", Unit: "ratio"}, {Name: "cost_usd", Unit: "usd"}},
		Rows:    []events.AggRow{{Dims: []string{"search"}, Values: []float64{40, 0.1, 1.5}}, {Dims: []string{"refund"}, Values: []float64{10, 0.0, 0.5}}}}
	m := &reports.Matrix{PolicyVersion: "v3"}
	m.Add("deny", "allow")
	m.Add("deny", "deny")
	m.Add("allow", "allow")
	return &reports.Report{Name: "policy", Title: "Policy", Tables: []*reports.Table{tools}, Matrices: []*reports.Matrix{m}}
}

func TestExpectations(t *testing.T) {
	for _, c := range []struct {
		expr     string
		breached bool
		values   string
	}{
		{"policy.false_allow > 0", true, "policy.false_allow = 1"},
		{"policy.false_allow_rate >= 0.5 && policy.false_deny == 0", true, "policy.false_allow_rate = 0.5, policy.false_deny = 0"},
		{`policy.versions["v3"].false_deny > 0`, false, `policy.versions["v3"].false_deny = 0`},
		{"totals.cost_usd > 1.5", true, "totals.cost_usd = 2"},
		{"any(tools, .error_rate > 0.05 && .tool_calls >= 20)", true, ""},
		{`any(tools, .tool == "refund" && .error_rate > 0)`, false, ""},
		{`report == "cost"`, false, `report = policy`},
	} {
		r := handReport()
		e, err := reports.Expect(r, c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if e.Breached != c.breached || !strings.Contains(e.Summary(), c.values) || r.Expectation != e {
			t.Errorf("%s: breached %v, %s", c.expr, e.Breached, e.Summary())
		}
		var md bytes.Buffer
		reports.WriteMarkdown(&md, r)
		if !strings.Contains(md.String(), "**Expectation "+e.Verdict()+":** `"+c.expr+"`") {
			t.Errorf("%s: markdown does not say the verdict:\n%s", c.expr, md.String())
		}
	}
}

// A bad expectation is an error naming where in the expression it is
// wrong; a misspelt key is one too, never a silent nil.
func TestBadExpectationsNameThePosition(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{"policy.false_allow >", "line 1, column"},
		{"", "empty expression"},
		{"policy.false_alow > 0", `line 1, column 8: policy has no "false_alow"`},
		{"totals.cost > 1", `totals has no "cost"`},
		{"costs > 1", "line 1, column 1: unknown name costs"},
		{"policy.false_allow + 1", "line 1, column"},
		{"any(tools, .eror_rate > 0.1)", "line 1"},
	} {
		_, err := reports.Expect(handReport(), c.expr)
		var ee *reports.ExprError
		if err == nil || !errors.As(err, &ee) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.expr, err, c.want)
		}
	}
	if err := reports.ParseExpectation("a >"); err == nil || !strings.Contains(err.Error(), "^") {
		t.Errorf("syntax error without a caret: %v", err)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{"Tools": "tools", "Cost by release": "cost_by_release",
		"Side-effect calls by authorization": "side_effect_calls_by_authorization", "2024 (all)": "t_2024_all", "": "t_"} {
		if got := reports.Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzExpect: any expression is an answer or an *ExprError, never a
// panic.
func FuzzExpect(f *testing.F) {
	for _, s := range []string{"policy.false_allow > 0", "any(tools, .error_rate > 0.1)", `policy.versions["v3"].cases`, "totals.cost_usd", "1 +", "tools[5].tool == 'x'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 1000 {
			return
		}
		_, err := reports.Expect(handReport(), src)
		var ee *reports.ExprError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("%q: %T %v", src, err, err)
		}
	})
}
