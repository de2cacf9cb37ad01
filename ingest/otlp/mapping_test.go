package otlp

import (
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

const testTrace = "4bf92f3577b34da6a3ce929d0e0e4736"

// t0 is when the test spans start: a day ago, whatever the date, so stored
// spans are inside their retention.
var t0 = time.Now().UTC().Truncate(time.Hour).Add(-24 * time.Hour)

// span builds a span of testTrace; id and parent are 16 hex digits ("" for a root).
func span(t testing.TB, id, parent, name string, at map[string]any) *tracepb.Span {
	s := &tracepb.Span{
		TraceId: mustHex(t, testTrace), SpanId: mustHex(t, id), Name: name,
		StartTimeUnixNano: uint64(t0.UnixNano()), EndTimeUnixNano: uint64(t0.Add(1500 * time.Millisecond).UnixNano()),
		Attributes: kvs(at),
	}
	if parent != "" {
		s.ParentSpanId = mustHex(t, parent)
	}
	return s
}

func request(res map[string]any, spans ...*tracepb.Span) *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: kvs(res)},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}},
	}}}
}

// bySpan returns the event of a span (not its eval events).
func bySpan(t testing.TB, res Result, id string) *envelope.Event {
	t.Helper()
	for _, ev := range res.Events {
		if ev.SpanID == id && !strings.Contains(ev.EventID, "-") {
			return ev
		}
	}
	t.Fatalf("no event for span %s", id)
	return nil
}

func i64(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

func TestTokensCountOnModelCallsOnly(t *testing.T) {
	res := Map(request(nil,
		span(t, "00000000000000a1", "", "invoke_agent support", map[string]any{
			"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support",
			"gen_ai.usage.input_tokens": 620, "gen_ai.usage.output_tokens": 80,
		}),
		span(t, "00000000000000a2", "00000000000000a1", "chat gpt-4o", map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
			"gen_ai.usage.input_tokens": "500", "gen_ai.usage.cache_read.input_tokens": 400,
			"gen_ai.usage.output_tokens": 50, "gen_ai.usage.reasoning.output_tokens": 20,
		}),
		span(t, "00000000000000a3", "00000000000000a1", "LLM", map[string]any{
			"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini",
			"llm.token_count.prompt": 120, "llm.token_count.completion": 30,
			"llm.token_count.prompt_details.cache_read": 100, "llm.cost.total": 0.0021,
		}),
	), Options{})
	run := bySpan(t, res, "00000000000000a1")
	if run.Kind != envelope.KindRun || run.InputTokens != nil || run.OutputTokens != nil || run.CostUSD != nil {
		t.Fatalf("run counts usage: %+v", run)
	}
	if run.Attributes["gen_ai.usage.input_tokens"] != int64(620) {
		t.Errorf("agent totals not kept in attributes: %v", run.Attributes)
	}
	chat := bySpan(t, res, "00000000000000a2")
	if i64(chat.InputTokens) != 500 || i64(chat.OutputTokens) != 50 {
		t.Errorf("chat tokens %d/%d, want 500/50 (cache and reasoning are included, not added)", i64(chat.InputTokens), i64(chat.OutputTokens))
	}
	if chat.Attributes["gen_ai.usage.cache_read.input_tokens"] != int64(400) || chat.CostUSD != nil {
		t.Errorf("chat: %v cost %v", chat.Attributes, chat.CostUSD)
	}
	if chat.LatencyMS == nil || *chat.LatencyMS != 1500 || *chat.DurationMS != 1500 {
		t.Errorf("chat latency %v duration %v", chat.LatencyMS, chat.DurationMS)
	}
	llm := bySpan(t, res, "00000000000000a3")
	if llm.Model != "gpt-4o-mini" || i64(llm.InputTokens) != 120 || i64(llm.OutputTokens) != 30 || llm.CostUSD == nil || *llm.CostUSD != 0.0021 {
		t.Errorf("openinference llm: %+v", llm)
	}
}

func TestEncodingQuirks(t *testing.T) {
	// OTLP/JSON: 64-bit ints as strings, hex ids, token counts as strings,
	// finish reasons as a JSON string, legacy indexed prompt attributes.
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.version","value":{"stringValue":"2.0.1"}}]},
	"scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"` + testTrace + `","spanId":"00f067aa0ba902b7",
	"name":"openai.chat","kind":3,"startTimeUnixNano":"1795642571606000000","endTimeUnixNano":"1795642571706000000",
	"status":{"code":2,"message":"rate limited"},
	"attributes":[
	 {"key":"llm.request.type","value":{"stringValue":"chat"}},
	 {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},
	 {"key":"gen_ai.usage.prompt_tokens","value":{"intValue":"88"}},
	 {"key":"gen_ai.usage.completion_tokens","value":{"stringValue":"17"}},
	 {"key":"gen_ai.response.finish_reasons","value":{"stringValue":"[\"tool-calls\"]"}},
	 {"key":"gen_ai.prompt.1.role","value":{"stringValue":"user"}},
	 {"key":"gen_ai.prompt.1.content","value":{"stringValue":"weather?"}},
	 {"key":"gen_ai.prompt.0.role","value":{"stringValue":"system"}},
	 {"key":"gen_ai.prompt.0.content","value":{"stringValue":"be brief"}},
	 {"key":"custom.flag","value":{"boolValue":true}}]}]}]}]}`
	req, err := DecodeJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	res := Map(req, Options{})
	ev := bySpan(t, res, "00f067aa0ba902b7")
	if ev.Kind != envelope.KindModel || i64(ev.InputTokens) != 88 || i64(ev.OutputTokens) != 17 || ev.OutputStatus != "tool-calls" {
		t.Fatalf("%+v", ev)
	}
	if ev.TraceID != testTrace || ev.TS != time.Unix(0, 1795642571606000000).UTC() || *ev.DurationMS != 100 || ev.Status != "error" || ev.Release != "2.0.1" {
		t.Errorf("common fields: %+v", ev)
	}
	want := `[{"content":"be brief","role":"system"},{"content":"weather?","role":"user"}]`
	if ev.Input != want {
		t.Errorf("legacy prompt = %v, want %s", ev.Input, want)
	}
	if ev.Attributes["custom.flag"] != true || ev.Attributes["otel.status_description"] != "rate limited" || ev.Attributes["otel.span.kind"] != "client" {
		t.Errorf("attributes: %v", ev.Attributes)
	}
	for k := range ev.Attributes {
		if strings.HasPrefix(k, "gen_ai.prompt.") {
			t.Errorf("%s kept although it went into input", k)
		}
	}
}

func TestPlacementPrecedence(t *testing.T) {
	sender := Defaults{Tenant: "hdr-tenant", Environment: "hdr-env", Release: "hdr-rel"}
	fallback := Defaults{Tenant: "cfg-tenant", Environment: "cfg-env", Release: "cfg-rel"}
	cases := []struct {
		name                 string
		res, span            map[string]any
		opts                 Options
		tenant, env, release string
	}{
		{"fallback only", nil, nil, Options{Fallback: fallback}, "cfg-tenant", "cfg-env", "cfg-rel"},
		{"conventions beat fallback", map[string]any{"service.namespace": "ns", "deployment.environment": "legacy", "service.version": "1.2.3"}, nil,
			Options{Fallback: fallback}, "ns", "legacy", "1.2.3"},
		{"new environment key beats legacy", map[string]any{"deployment.environment.name": "prod", "deployment.environment": "legacy"}, nil,
			Options{}, "", "prod", ""},
		{"headers beat conventions", map[string]any{"service.namespace": "ns", "deployment.environment.name": "prod", "service.version": "1.2.3"}, nil,
			Options{Sender: sender, Fallback: fallback}, "hdr-tenant", "hdr-env", "hdr-rel"},
		{"resource evalhouse.* beats headers", map[string]any{"evalhouse.tenant": "res-tenant", "evalhouse.environment": "res-env", "evalhouse.release": "res-rel"}, nil,
			Options{Sender: sender}, "res-tenant", "res-env", "res-rel"},
		{"span evalhouse.* beats resource", map[string]any{"evalhouse.tenant": "res-tenant"}, map[string]any{"evalhouse.tenant": "span-tenant"},
			Options{Sender: sender}, "span-tenant", "hdr-env", "hdr-rel"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at := map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"}
			for k, v := range c.span {
				at[k] = v
			}
			ev := bySpan(t, Map(request(c.res, span(t, "00000000000000b1", "", "t", at)), c.opts), "00000000000000b1")
			if ev.Tenant != c.tenant || ev.Environment != c.env || ev.Release != c.release {
				t.Errorf("got %q/%q/%q, want %q/%q/%q", ev.Tenant, ev.Environment, ev.Release, c.tenant, c.env, c.release)
			}
			if _, ok := ev.Attributes["evalhouse.tenant"]; ok {
				t.Error("evalhouse.tenant kept in attributes after becoming the tenant")
			}
		})
	}
}

func TestRunIDPrecedence(t *testing.T) {
	root := span(t, "00000000000000c1", "", "invoke_agent", map[string]any{"gen_ai.operation.name": "invoke_agent", "evalhouse.run_id": "run-42", "evalhouse.dataset": "refunds@v3", "evalhouse.case_id": "c-7"})
	child := span(t, "00000000000000c2", "00000000000000c1", "chat", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})
	own := span(t, "00000000000000c3", "00000000000000c1", "tool", map[string]any{"gen_ai.operation.name": "execute_tool", "evalhouse.run_id": "run-43"})
	res := Map(request(map[string]any{"evalhouse.run_id": "res-run"}, root, child, own), Options{})
	if r := bySpan(t, res, "00000000000000c1"); r.RunID != "run-42" || r.Dataset != "refunds@v3" || r.CaseID != "c-7" {
		t.Errorf("root: %+v", r)
	}
	if c := bySpan(t, res, "00000000000000c2"); c.RunID != "run-42" || c.Dataset != "refunds@v3" || c.CaseID != "c-7" {
		t.Errorf("child does not inherit the run context: %+v", c)
	}
	if o := bySpan(t, res, "00000000000000c3"); o.RunID != "run-43" {
		t.Errorf("span's own run_id: %q", o.RunID)
	}
	// Without evalhouse.run_id on any span: the resource's, else the trace id,
	// the same for a child whose parent arrives in another request.
	orphan := span(t, "00000000000000c4", "00000000000000ff", "chat", map[string]any{"gen_ai.operation.name": "chat"})
	if ev := bySpan(t, Map(request(map[string]any{"evalhouse.run_id": "res-run"}, orphan), Options{}), "00000000000000c4"); ev.RunID != "res-run" {
		t.Errorf("resource run_id: %q", ev.RunID)
	}
	if ev := bySpan(t, Map(request(nil, orphan), Options{}), "00000000000000c4"); ev.RunID != testTrace || ev.ParentSpanID != "00000000000000ff" {
		t.Errorf("trace id fallback: %+v", ev)
	}
}

func TestStructuralSpansFoldIntoTheRun(t *testing.T) {
	res := Map(request(nil,
		span(t, "00000000000000d1", "", "graph", map[string]any{"openinference.span.kind": "CHAIN", "input.value": "hi", "output.value": "bye"}),
		span(t, "00000000000000d2", "00000000000000d1", "agent", map[string]any{"openinference.span.kind": "CHAIN"}),
		span(t, "00000000000000d3", "00000000000000d2", "ChatOpenAI", map[string]any{"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o"}),
		span(t, "00000000000000d4", "00000000000000d2", "sub", map[string]any{"openinference.span.kind": "AGENT"}),
		span(t, "00000000000000d5", "00000000000000d4", "lookup", map[string]any{"openinference.span.kind": "TOOL", "tool.name": "lookup", "input.value": `{"q":1}`}),
	), Options{})
	if res.Spans != 5 || res.Mapped != 3 || res.Folded != 2 || len(res.Unattached) != 0 {
		t.Fatalf("spans %d mapped %d folded %d unattached %d", res.Spans, res.Mapped, res.Folded, len(res.Unattached))
	}
	run := bySpan(t, res, "00000000000000d1")
	if run.Kind != envelope.KindRun || run.Task != "graph" || run.Input != "hi" || run.Output != "bye" {
		t.Errorf("run: %+v", run)
	}
	folded, _ := run.Attributes["otel.folded_spans"].([]any)
	if len(folded) != 2 || folded[0].(map[string]any)["name"] != "agent" || folded[1].(map[string]any)["name"] != "sub" {
		t.Errorf("folded: %v", folded)
	}
	llm := bySpan(t, res, "00000000000000d3")
	if llm.ParentSpanID != "00000000000000d1" || llm.Attributes["otel.parent_span_id"] != "00000000000000d2" {
		t.Errorf("llm not re-parented to the nearest stored ancestor: %s %v", llm.ParentSpanID, llm.Attributes["otel.parent_span_id"])
	}
	if tool := bySpan(t, res, "00000000000000d5"); tool.Tool != "lookup" || tool.Args != `{"q":1}` || tool.ParentSpanID != "00000000000000d1" {
		t.Errorf("tool: %+v", tool)
	}
	// A CHAIN whose parent is not in the request (exported in an earlier
	// or later batch) is never a run; an agent span is.
	res = Map(request(nil,
		span(t, "00000000000000e1", "00000000000000d1", "agent", map[string]any{"openinference.span.kind": "CHAIN"}),
		span(t, "00000000000000e2", "00000000000000aa", "invoke_agent", map[string]any{"gen_ai.operation.name": "invoke_agent"}),
	), Options{})
	if res.Mapped != 1 || res.Folded != 1 || len(res.Unattached) != 0 || bySpan(t, res, "00000000000000e2").Kind != envelope.KindRun {
		t.Errorf("streamed batch: %+v", res)
	}
}

func TestEvaluationEvents(t *testing.T) {
	s := span(t, "00000000000000f1", "", "chat", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "evalhouse.case_id": "case-1"})
	s.Events = []*tracepb.Span_Event{
		{Name: "gen_ai.content.prompt", TimeUnixNano: uint64(t0.UnixNano())},
		{Name: "gen_ai.evaluation.result", TimeUnixNano: uint64(t0.Add(time.Second).UnixNano()), Attributes: kvs(map[string]any{
			"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.82, "gen_ai.evaluation.score.label": "pass",
			"gen_ai.evaluation.explanation": "on topic", "evalhouse.eval.threshold": 0.7, "gen_ai.response.id": "r1",
		})},
	}
	res := Map(request(nil, s), Options{})
	if len(res.Events) != 2 || res.Mapped != 1 {
		t.Fatalf("%d events", len(res.Events))
	}
	ev := res.Events[1]
	if ev.Kind != envelope.KindEval || ev.EventID != testTrace+"00000000000000f1-1" || ev.SpanID != "00000000000000f1" ||
		ev.Evaluator != "relevance" || *ev.Score != 0.82 || !*ev.Passed || *ev.Threshold != 0.7 || ev.Output != "on topic" ||
		ev.CaseID != "case-1" || ev.RunID != testTrace || !ev.TS.Equal(t0.Add(time.Second)) {
		t.Errorf("eval event: %+v", ev)
	}
	if ev.Attributes["gen_ai.evaluation.score.label"] != "pass" || ev.Attributes["gen_ai.response.id"] != "r1" {
		t.Errorf("eval attributes: %v", ev.Attributes)
	}
	other, _ := res.Events[0].Attributes["otel.events"].([]any)
	if len(other) != 1 || other[0].(map[string]any)["name"] != "gen_ai.content.prompt" {
		t.Errorf("other span events: %v", other)
	}
}

func TestOwnAttributesForEveryKind(t *testing.T) {
	at := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	res := Map(request(nil,
		span(t, "0000000000000101", "", "refund", at("gen_ai.operation.name", "execute_tool", "gen_ai.tool.name", "payments.refund",
			"gen_ai.tool.call.arguments", `{"amount":20}`, "evalhouse.tool.authorization", "approval_required",
			"evalhouse.tool.idempotency_key", "ik-1", "evalhouse.tool.retry_count", "2", "evalhouse.tool.side_effect", "write")),
		span(t, "0000000000000102", "", "policy check", at("evalhouse.policy.decision", "deny", "evalhouse.policy.version", "p@4",
			"evalhouse.policy.reason_code", "over_limit", "evalhouse.policy.enforcement", "blocking")),
		span(t, "0000000000000103", "", "approval", at("evalhouse.kind", "approval", "evalhouse.approval.approver_role", "lead",
			"evalhouse.approval.action", "refund", "evalhouse.approval.expires_at", "2026-11-21T09:00:00Z", "evalhouse.approval.result", "approved")),
		span(t, "0000000000000104", "", "retrieve", at("gen_ai.operation.name", "retrieval", "retrieval.documents.1.document.id", "kb-9",
			"retrieval.documents.0.document.id", "kb-2", "evalhouse.retrieval.freshness.stale", true, "evalhouse.retrieval.freshness.age_s", 86400,
			"evalhouse.retrieval.access_decision", "allowed", "evalhouse.retrieval.citation_required", "true")),
		span(t, "0000000000000105", "", "mem", at("gen_ai.operation.name", "update_memory", "evalhouse.memory.write_ids", []any{"m1", "m2"},
			"evalhouse.memory.retention_class", "30d", "evalhouse.memory.policy_basis", "consent", "gen_ai.memory.store.id", "store-1")),
		span(t, "0000000000000106", "", "mem", at("gen_ai.operation.name", "search_memory", "evalhouse.memory.read_ids", `["m1"]`)),
		span(t, "0000000000000107", "", "mem", at("gen_ai.operation.name", "delete_memory")),
		span(t, "0000000000000108", "", "judge", at("openinference.span.kind", "EVALUATOR", "evalhouse.eval.score", 0.4,
			"evalhouse.eval.passed", false, "evalhouse.eval.evaluator_version", "v2")),
	), Options{})
	tool := bySpan(t, res, "0000000000000101")
	if tool.Tool != "payments.refund" || tool.Args != `{"amount":20}` || tool.Authorization != "approval_required" ||
		tool.IdempotencyKey != "ik-1" || i64(tool.RetryCount) != 2 || tool.SideEffect != "write" {
		t.Errorf("tool: %+v", tool)
	}
	if p := bySpan(t, res, "0000000000000102"); p.Kind != envelope.KindPolicy || p.Decision != "deny" || p.PolicyVersion != "p@4" || p.ReasonCode != "over_limit" || p.Enforcement != "blocking" {
		t.Errorf("policy: %+v", p)
	}
	ap := bySpan(t, res, "0000000000000103")
	if ap.Kind != envelope.KindApproval || ap.ApproverRole != "lead" || ap.Action != "refund" || ap.Result != "approved" ||
		ap.ExpiresAt == nil || !ap.ExpiresAt.Equal(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("approval: %+v", ap)
	}
	r := bySpan(t, res, "0000000000000104")
	if r.Kind != envelope.KindRetrieval || strings.Join(r.SourceIDs, ",") != "kb-2,kb-9" || r.Freshness == nil || !r.Freshness.Stale ||
		r.Freshness.AgeS != 86400 || r.AccessDecision != "allowed" || r.CitationRequired == nil || !*r.CitationRequired {
		t.Errorf("retrieval: %+v", r)
	}
	w := bySpan(t, res, "0000000000000105")
	if w.Kind != envelope.KindMemory || w.Op != "write" || strings.Join(w.WriteIDs, ",") != "m1,m2" || w.RetentionClass != "30d" ||
		w.PolicyBasis != "consent" || w.Attributes["gen_ai.memory.store.id"] != "store-1" {
		t.Errorf("memory write: %+v", w)
	}
	if rd := bySpan(t, res, "0000000000000106"); rd.Op != "read" || strings.Join(rd.ReadIDs, ",") != "m1" {
		t.Errorf("memory read: %+v", rd)
	}
	if d := bySpan(t, res, "0000000000000107"); d.Op != "delete" {
		t.Errorf("memory delete: %+v", d)
	}
	e := bySpan(t, res, "0000000000000108")
	if e.Kind != envelope.KindEval || e.Evaluator != "judge" || *e.Score != 0.4 || *e.Passed || e.EvaluatorVersion != "v2" {
		t.Errorf("eval: %+v", e)
	}
	for _, ev := range res.Events {
		for k := range ev.Attributes {
			if strings.HasPrefix(k, "evalhouse.") {
				t.Errorf("%s: %s kept in attributes after it became a field", ev.SpanID, k)
			}
		}
	}
}

func TestBadSpansAreRejectedOthersLand(t *testing.T) {
	good := span(t, "0000000000000201", "", "chat", map[string]any{"gen_ai.operation.name": "chat"})
	noTrace := span(t, "0000000000000202", "", "chat", nil)
	noTrace.TraceId = make([]byte, 16)
	shortSpan := span(t, "0000000000000203", "", "chat", nil)
	shortSpan.SpanId = []byte{1, 2}
	noStart := span(t, "0000000000000204", "", "chat", nil)
	noStart.StartTimeUnixNano = 0
	badParent := span(t, "0000000000000205", "", "chat", nil)
	badParent.ParentSpanId = []byte{1}
	// A parent cycle neither hangs nor loses the spans.
	a := span(t, "0000000000000206", "0000000000000207", "a", map[string]any{"gen_ai.operation.name": "invoke_agent"})
	b := span(t, "0000000000000207", "0000000000000206", "b", map[string]any{"gen_ai.operation.name": "chat"})
	backwards := span(t, "0000000000000208", "", "chat", map[string]any{"gen_ai.operation.name": "chat"})
	backwards.EndTimeUnixNano = backwards.StartTimeUnixNano - 1
	res := Map(request(nil, good, noTrace, shortSpan, noStart, badParent, a, b, backwards), Options{})
	if res.Spans != 8 || len(res.Rejected) != 4 || res.Mapped+res.Folded != 4 {
		t.Fatalf("%+v", res)
	}
	for i, want := range []string{"trace_id", "span_id", "start_time", "parent_span_id"} {
		if e := res.Rejected[i]; !strings.Contains(e.Reason, want) || e.Pos != i+2 {
			t.Errorf("rejection %d: %+v", i, e)
		}
	}
	if ev := bySpan(t, res, "0000000000000208"); ev.DurationMS != nil {
		t.Errorf("end before start gave duration %v", *ev.DurationMS)
	}
}
