package evaluators_test

import (
	"context"
	"fmt"

	"github.com/evalhouse/evalhouse/evaluators"
)

func Example() {
	rs, err := evaluators.Parse("rules/support.yaml", []byte(`rules:
  - id: no_unapproved_side_effects
    expr: |
      none(tool_calls, .side_effect == "external" && .authorization == "approval_required")
        || any(approvals, .result == "approved")
  - id: helpfulness
    type: score
    threshold: 0.7
    scope: dataset
    expr: |
      let judged = filter(evals, .evaluator == "helpfulness");
      len(judged) == 0 ? 0.0 : mean(map(judged, .score))
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	run := &evaluators.Env{
		ToolCalls: []evaluators.ToolCall{{Tool: "issue_refund", SideEffect: "external", Authorization: "approval_required"}},
		Evals:     []evaluators.EvalResult{{Evaluator: "helpfulness", Score: 0.64}},
	}
	for _, v := range rs.Eval(context.Background(), run, evaluators.ScopeDataset) {
		fmt.Printf("%s passed=%v score=%g reason=%q\n", v.RuleID, v.Passed, v.Score, v.Reason)
	}
	// Output:
	// no_unapproved_side_effects passed=false score=0 reason="expr returned false"
	// helpfulness passed=false score=0.64 reason="score 0.64 < threshold 0.7"
}

func ExampleCompileError() {
	_, err := evaluators.Parse("rules/support.yaml", []byte(`rules:
  - id: idempotency
    expr: |
      all(tool_calls, .side_effect in ["none", "read"] || .idempotency != "")
`))
	fmt.Println(err)
	// Output:
	// rules/support.yaml:4:60: rule "idempotency": expr: type ToolCall has no field idempotency (ToolCall fields: args, authorization, duration_ms, idempotency_key, retry_count, side_effect, span_id, status, tool)
	//   | all(tool_calls, .side_effect in ["none", "read"] || .idempotency != "")
	//   |                                                      ^
}
