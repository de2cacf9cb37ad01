package otlp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// want is the key fields of one expected event, checked field by field
// (the golden files hold the rest).
type want struct {
	kind          envelope.Kind
	span, parent  string
	model         string
	in, out       int64 // tokens; -1: none
	tool, args    string
	task, eval    string
	score         float64
	outputStatus  string
	inputContains string
}

func (w want) check(t *testing.T, ev *envelope.Event, runID string) {
	t.Helper()
	var bad []string
	diff := func(field string, got, exp any) {
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			bad = append(bad, fmt.Sprintf("%s = %v, want %v", field, got, exp))
		}
	}
	diff("kind", ev.Kind, w.kind)
	diff("parent_span_id", ev.ParentSpanID, w.parent)
	diff("run_id", ev.RunID, runID)
	diff("event_id", ev.EventID[:48], ev.TraceID+ev.SpanID)
	diff("model", ev.Model, w.model)
	diff("input_tokens", i64(ev.InputTokens), w.in)
	diff("output_tokens", i64(ev.OutputTokens), w.out)
	diff("tool", ev.Tool, w.tool)
	diff("task", ev.Task, w.task)
	diff("evaluator", ev.Evaluator, w.eval)
	diff("output_status", ev.OutputStatus, w.outputStatus)
	if w.args != "" {
		diff("args", ev.Args, w.args)
	}
	if w.eval != "" {
		diff("score", *ev.Score, w.score)
	}
	if ev.Kind == envelope.KindRun && (ev.InputTokens != nil || ev.CostUSD != nil) {
		bad = append(bad, "run event counts tokens or cost")
	}
	if w.inputContains != "" {
		if s, _ := ev.Input.(string); !strings.Contains(s, w.inputContains) {
			bad = append(bad, fmt.Sprintf("input %.80q lacks %q", s, w.inputContains))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s event of span %s: %s", ev.Kind, ev.SpanID, strings.Join(bad, "; "))
	}
}

func TestFrameworkKeyFields(t *testing.T) {
	model := func(span, parent, m string, in, out int64, status string) want {
		return want{kind: envelope.KindModel, span: span, parent: parent, model: m, in: in, out: out, outputStatus: status}
	}
	tool := func(span, parent, name, args string) want {
		return want{kind: envelope.KindTool, span: span, parent: parent, tool: name, args: args, in: -1, out: -1}
	}
	run := func(span, task, input string) want {
		return want{kind: envelope.KindRun, span: span, task: task, inputContains: input, in: -1, out: -1}
	}
	eval := func(span, name string, score float64) want {
		return want{kind: envelope.KindEval, span: span, eval: name, score: score, in: -1, out: -1}
	}
	cases := []struct {
		name           string
		runID          string
		mapped, folded int
		events         []want
	}{
		{"langgraph", "c9213b2861bd6ec1f5a17cba4551cfa2", 6, 10, []want{
			model("86bc403f6490ff00", "9507ffc9c84e0232", "gpt-4o-mini", 142, 51, "tool_calls"),
			tool("ba6241a573b3f89a", "9507ffc9c84e0232", "get_weather", "Paris"),
			{kind: envelope.KindRetrieval, span: "a420f5386c628e95", parent: "ba84b8e682923497", in: -1, out: -1, inputContains: "per diem"},
			tool("ba84b8e682923497", "9507ffc9c84e0232", "search_travel_policy", "per diem meals Paris"),
			model("52922ac38d5b93d2", "9507ffc9c84e0232", "gpt-4o-mini", 311, 38, "stop"),
			run("9507ffc9c84e0232", "travel_agent", "What's the weather in Paris"),
		}},
		{"crewai", "a287bb31e317433610d8827617471140", 2, 4, []want{
			model("231c43964b7e7e63", "0dd92fffb354f15b", "gpt-4o-mini", 190, 164, ""),
			run("0dd92fffb354f15b", "Crew.kickoff", ""),
			eval("839dad620fa92594", "toxicity", 0.8),
			eval("839dad620fa92594", "hallucination", 1),
		}},
		{"microsoft-agent-framework", "8e419d3288419b5d944270505640e183", 4, 0, []want{
			run("4cd6caa32861956a", "171105b7-59dd-49c0-9677-0b95395aa46a", "What's the weather in Tokyo?"),
			eval("4cd6caa32861956a", "correctness", 1),
			eval("4cd6caa32861956a", "hallucination", 0.9),
			eval("4cd6caa32861956a", "toxicity", 0),
			model("2406e8343fd49c0e", "4cd6caa32861956a", "gpt-5-mini-2025-08-07", 77, 86, ""),
			model("b0913e7cd82d72b8", "4cd6caa32861956a", "gpt-5-mini-2025-08-07", 216, 20, ""),
			tool("a2de97aac476c036", "4cd6caa32861956a", "get_weather", `{"location":"Tokyo, Japan"}`),
		}},
		{"mastra", "6f7b4c51cf5f0da44e1171c13c12ddd4", 5, 9, []want{
			tool("a791e9b2195ed26f", "d1cec45f89208b6d", "getWeather", `{"city":"Paris"}`),
			model("67826cb6eb0470d9", "d1cec45f89208b6d", "gpt-4o-mini-2024-07-18", 96, 22, "tool-calls"),
			model("be1a63e1dfd9d5bf", "d1cec45f89208b6d", "gpt-4o-mini-2024-07-18", 131, 14, "stop"),
			run("d1cec45f89208b6d", "Weather Agent", "What is the weather in Paris?"),
			// The scorer's own trace, linked to the run it scored.
			eval("f8bd251c9172f1b5", "mentions-city", 1),
		}},
		{"openai-agents", "fee618f96dc31e0ca38b2f7b26eb8b29", 4, 1, []want{
			run("e5a76f27f51ad40e", "Agent workflow", ""),
			eval("e5a76f27f51ad40e", "toxicity", 0.8),
			eval("e5a76f27f51ad40e", "hallucination", 0),
			model("90d94774e8e3724d", "e5a76f27f51ad40e", "gpt-4.1-2025-04-14", 85, 29, ""),
			model("98870087af69bf06", "e5a76f27f51ad40e", "gpt-4.1-2025-04-14", 55, 15, ""),
			tool("5b99c3e3411ed17b", "e5a76f27f51ad40e", "get_weather", `{"city":"Tokyo"}`),
		}},
		{"openllmetry-legacy", "4f3ba33ea6cfe192f738223d3d9f9cd8", 4, 1, []want{
			func() want {
				w := model("7de818814386d832", "f0df89e920bd4884", "gpt-4o-mini-2024-07-18", 88, 17, "tool_calls")
				w.inputContains = `"content":"What's the weather in Paris?","role":"user"`
				return w
			}(),
			model("21d8c4ae6ad29004", "f0df89e920bd4884", "gpt-4o-mini-2024-07-18", 121, 12, "stop"),
			tool("ee72a1983fee6858", "f0df89e920bd4884", "get_weather", `{"args":[],"kwargs":{"city":"Paris"}}`),
			run("f0df89e920bd4884", "trip_planner", ""),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := mapFramework(t, c.name)
			if res.Mapped != c.mapped || res.Folded != c.folded || len(res.Rejected) != 0 || len(res.Unattached) != 0 {
				t.Errorf("mapped %d folded %d unattached %d rejected %d; want mapped %d folded %d",
					res.Mapped, res.Folded, len(res.Unattached), len(res.Rejected), c.mapped, c.folded)
			}
			if len(res.Events) != len(c.events) {
				t.Fatalf("%d events, want %d", len(res.Events), len(c.events))
			}
			for i, w := range c.events {
				ev := res.Events[i]
				if ev.SpanID != w.span {
					t.Fatalf("event %d is of span %s, want %s", i, ev.SpanID, w.span)
				}
				w.check(t, ev, c.runID)
				if ev.Tenant != "acme" || ev.Environment != "test" || ev.Status != "ok" || ev.TS.IsZero() {
					t.Errorf("event %d: tenant %q environment %q status %q ts %v", i, ev.Tenant, ev.Environment, ev.Status, ev.TS)
				}
			}
		})
	}
	// Mastra's resource names the release (service.version); the others fall back.
	if r := mapFramework(t, "mastra"); r.Events[0].Release != "1.71.0" {
		t.Errorf("mastra release %q", r.Events[0].Release)
	}
	// LangGraph's retriever lists its documents' source.
	if r := mapFramework(t, "langgraph"); strings.Join(r.Events[2].SourceIDs, ",") != "travel-policy.md" {
		t.Errorf("langgraph source_ids %v", r.Events[2].SourceIDs)
	}
	// OpenLLMetry's passed guard is an allow decision.
	if r := mapFramework(t, "openllmetry-guardrail"); r.Events[3].Kind != envelope.KindPolicy || r.Events[3].Decision != "allow" {
		t.Errorf("guard: %+v", r.Events[3])
	}
}
