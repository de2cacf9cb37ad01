package otlp

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// evalEventName is the OTel GenAI span event that carries an evaluation.
const evalEventName = "gen_ai.evaluation.result"

// own maps evalhouse.* attributes to envelope fields, for every kind (an
// event may carry fields of other kinds). They beat the conventions.
var own = []struct {
	key string
	set func(ev *envelope.Event, a attrs, key string)
}{
	{"evalhouse.actor", func(ev *envelope.Event, a attrs, k string) { ev.Actor, _ = a.takeStr(k) }},
	{"evalhouse.task", func(ev *envelope.Event, a attrs, k string) { ev.Task, _ = a.takeStr(k) }},
	{"evalhouse.stop_reason", func(ev *envelope.Event, a attrs, k string) { ev.StopReason, _ = a.takeStr(k) }},
	{"evalhouse.prompt_version", func(ev *envelope.Event, a attrs, k string) { ev.PromptVersion, _ = a.takeStr(k) }},
	{"evalhouse.input_ref", func(ev *envelope.Event, a attrs, k string) { ev.InputRef, _ = a.takeStr(k) }},
	{"evalhouse.output_status", func(ev *envelope.Event, a attrs, k string) { ev.OutputStatus, _ = a.takeStr(k) }},
	{"evalhouse.cost_usd", func(ev *envelope.Event, a attrs, k string) { ev.CostUSD = a.takeFloat(k) }},
	{"evalhouse.tool.authorization", func(ev *envelope.Event, a attrs, k string) { ev.Authorization, _ = a.takeStr(k) }},
	{"evalhouse.tool.idempotency_key", func(ev *envelope.Event, a attrs, k string) { ev.IdempotencyKey, _ = a.takeStr(k) }},
	{"evalhouse.tool.retry_count", func(ev *envelope.Event, a attrs, k string) { ev.RetryCount = a.takeInt(k) }},
	{"evalhouse.tool.side_effect", func(ev *envelope.Event, a attrs, k string) { ev.SideEffect, _ = a.takeStr(k) }},
	{"evalhouse.retrieval.source_ids", func(ev *envelope.Event, a attrs, k string) { ev.SourceIDs = a.takeList(k) }},
	{"evalhouse.retrieval.access_decision", func(ev *envelope.Event, a attrs, k string) { ev.AccessDecision, _ = a.takeStr(k) }},
	{"evalhouse.retrieval.citation_required", func(ev *envelope.Event, a attrs, k string) { ev.CitationRequired = a.takeBool(k) }},
	{"evalhouse.memory.op", func(ev *envelope.Event, a attrs, k string) { ev.Op, _ = a.takeStr(k) }},
	{"evalhouse.memory.retention_class", func(ev *envelope.Event, a attrs, k string) { ev.RetentionClass, _ = a.takeStr(k) }},
	{"evalhouse.memory.policy_basis", func(ev *envelope.Event, a attrs, k string) { ev.PolicyBasis, _ = a.takeStr(k) }},
	{"evalhouse.memory.read_ids", func(ev *envelope.Event, a attrs, k string) { ev.ReadIDs = a.takeList(k) }},
	{"evalhouse.memory.write_ids", func(ev *envelope.Event, a attrs, k string) { ev.WriteIDs = a.takeList(k) }},
	{"evalhouse.policy.decision", func(ev *envelope.Event, a attrs, k string) { ev.Decision, _ = a.takeStr(k) }},
	{"evalhouse.policy.version", func(ev *envelope.Event, a attrs, k string) { ev.PolicyVersion, _ = a.takeStr(k) }},
	{"evalhouse.policy.reason_code", func(ev *envelope.Event, a attrs, k string) { ev.ReasonCode, _ = a.takeStr(k) }},
	{"evalhouse.policy.enforcement", func(ev *envelope.Event, a attrs, k string) { ev.Enforcement, _ = a.takeStr(k) }},
	{"evalhouse.approval.approver_role", func(ev *envelope.Event, a attrs, k string) { ev.ApproverRole, _ = a.takeStr(k) }},
	{"evalhouse.approval.action", func(ev *envelope.Event, a attrs, k string) { ev.Action, _ = a.takeStr(k) }},
	{"evalhouse.approval.expires_at", func(ev *envelope.Event, a attrs, k string) { ev.ExpiresAt = a.takeTime(k) }},
	{"evalhouse.approval.result", func(ev *envelope.Event, a attrs, k string) { ev.Result, _ = a.takeStr(k) }},
	{"evalhouse.eval.evaluator", func(ev *envelope.Event, a attrs, k string) { ev.Evaluator, _ = a.takeStr(k) }},
	{"evalhouse.eval.evaluator_version", func(ev *envelope.Event, a attrs, k string) { ev.EvaluatorVersion, _ = a.takeStr(k) }},
	{"evalhouse.eval.score", func(ev *envelope.Event, a attrs, k string) { ev.Score = a.takeFloat(k) }},
	{"evalhouse.eval.threshold", func(ev *envelope.Event, a attrs, k string) { ev.Threshold = a.takeFloat(k) }},
	{"evalhouse.eval.passed", func(ev *envelope.Event, a attrs, k string) { ev.Passed = a.takeBool(k) }},
}

var ownByKey = func() map[string]func(*envelope.Event, attrs, string) {
	m := make(map[string]func(*envelope.Event, attrs, string), len(own))
	for _, o := range own {
		m[o.key] = o.set
	}
	return m
}()

// applyOwn sets the fields named by evalhouse.* attributes, then freshness
// (from .stale and .age_s; the one not sent is zero).
func applyOwn(ev *envelope.Event, a attrs) {
	fresh := false
	for k := range a { // deleting while ranging is fine; each key sets its own field
		if !strings.HasPrefix(k, "evalhouse.") {
			continue
		}
		if set := ownByKey[k]; set != nil {
			set(ev, a, k)
		} else if strings.HasPrefix(k, "evalhouse.retrieval.freshness.") {
			fresh = true
		}
	}
	if !fresh {
		return
	}
	stale := a.takeBool("evalhouse.retrieval.freshness.stale")
	age := a.takeFloat("evalhouse.retrieval.freshness.age_s")
	if stale != nil || age != nil {
		ev.Freshness = &envelope.Freshness{}
		if stale != nil {
			ev.Freshness.Stale = *stale
		}
		if age != nil {
			ev.Freshness.AgeS = *age
		}
	}
}

// fillKind sets the kind's own fields of a span's event: evalhouse.*
// first, then the conventions for what is still empty.
func fillKind(ev *envelope.Event, n *node) {
	a := n.a
	applyOwn(ev, a)
	orStr := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	orAny := func(dst *any, v string) {
		if *dst == nil && v != "" {
			*dst = v
		}
	}
	mastra, _ := a.str("mastra.span.type")
	switch ev.Kind {
	case envelope.KindRun:
		orStr(&ev.Actor, a.firstStr("user.id", "enduser.id"))
		orStr(&ev.Task, a.firstStr("gen_ai.agent.name", "traceloop.entity.name"))
		orStr(&ev.Task, n.span.GetName())
		orAny(&ev.Input, a.firstText("gen_ai.input.messages", "input.value", "mastra."+mastra+".input", "traceloop.entity.input"))
		orAny(&ev.Output, a.firstText("gen_ai.output.messages", "output.value", "mastra."+mastra+".output", "traceloop.entity.output"))
		orStr(&ev.StopReason, finishReasons(a))
		// Usage on agent spans totals the children: it stays in attributes.
	case envelope.KindModel:
		orStr(&ev.Model, a.firstStr("gen_ai.response.model", "gen_ai.request.model", "llm.model_name"))
		orStr(&ev.PromptVersion, a.firstStr("llm.prompt_template.version"))
		orStr(&ev.OutputStatus, finishReasons(a))
		if ev.InputTokens == nil {
			ev.InputTokens = a.firstInt("gen_ai.usage.input_tokens", "llm.token_count.prompt", "gen_ai.usage.prompt_tokens")
		}
		if ev.OutputTokens == nil {
			ev.OutputTokens = a.firstInt("gen_ai.usage.output_tokens", "llm.token_count.completion", "gen_ai.usage.completion_tokens")
		}
		if ev.CostUSD == nil {
			ev.CostUSD = a.takeFloat("llm.cost.total")
		}
		if ev.LatencyMS == nil && ev.DurationMS != nil {
			l := *ev.DurationMS
			ev.LatencyMS = &l
		}
		orAny(&ev.Input, a.firstText("gen_ai.input.messages", "input.value", "gen_ai.prompt"))
		orAny(&ev.Input, indexed(a, "gen_ai.prompt."))
		orAny(&ev.Output, a.firstText("gen_ai.output.messages", "output.value", "gen_ai.completion"))
		orAny(&ev.Output, indexed(a, "gen_ai.completion."))
	case envelope.KindTool:
		orStr(&ev.Tool, a.firstStr("gen_ai.tool.name", "tool.name", "traceloop.entity.name"))
		orStr(&ev.Tool, n.span.GetName())
		orAny(&ev.Args, a.firstText("gen_ai.tool.call.arguments", "input.value", "traceloop.entity.input"))
		orAny(&ev.Output, a.firstText("gen_ai.tool.call.result", "output.value", "traceloop.entity.output"))
	case envelope.KindRetrieval:
		if len(ev.SourceIDs) == 0 {
			ev.SourceIDs = documentIDs(a)
		}
		orAny(&ev.Input, a.firstText("gen_ai.retrieval.query.text", "input.value"))
		orAny(&ev.Output, a.firstText("output.value"))
	case envelope.KindMemory:
		orStr(&ev.Op, n.cls.memOp)
		orAny(&ev.Input, a.firstText("input.value"))
		orAny(&ev.Output, a.firstText("output.value"))
	case envelope.KindPolicy:
		if ev.Decision == "" {
			switch s, _ := a.str("gen_ai.guardrail.status"); strings.ToUpper(s) {
			case "PASSED":
				ev.Decision = "allow"
				delete(a, "gen_ai.guardrail.status")
			case "FAILED":
				ev.Decision = "deny"
				delete(a, "gen_ai.guardrail.status")
			}
		}
		orAny(&ev.Input, a.firstText("gen_ai.guardrail.input", "input.value"))
		orAny(&ev.Output, a.firstText("output.value"))
	case envelope.KindEval:
		if n.cls.mastraScorer {
			mastraScore(ev, n)
		}
		orStr(&ev.Evaluator, a.firstStr("gen_ai.evaluation.name"))
		orStr(&ev.Evaluator, n.span.GetName())
		if ev.Score == nil {
			ev.Score = a.takeFloat("gen_ai.evaluation.score.value")
		}
		orAny(&ev.Input, a.firstText("input.value", "mastra."+mastra+".input"))
		orAny(&ev.Output, a.firstText("gen_ai.evaluation.explanation", "output.value"))
	}
}

// finishReasons takes the finish reasons, comma-joined: an array, a JSON
// array in a string (Mastra), or a plain string.
func finishReasons(a attrs) string {
	for _, k := range []string{"gen_ai.response.finish_reasons", "llm.finish_reason", "gen_ai.completion.0.finish_reason"} {
		if rs := list(a[k]); len(rs) > 0 {
			delete(a, k)
			return strings.Join(rs, ",")
		}
	}
	return ""
}

// indexed rebuilds legacy indexed messages (gen_ai.prompt.N.role,
// gen_ai.prompt.N.content, gen_ai.completion.N.tool_calls.M.name …) as a
// JSON array of one object per N, keyed by the rest of the name. It takes
// those keys; "" when there are none.
func indexed(a attrs, prefix string) string {
	msgs := map[int]map[string]any{}
	for k, v := range a {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		num, field, ok := strings.Cut(rest, ".")
		i, err := strconv.Atoi(num)
		if !ok || err != nil || i < 0 || i > 9999 || field == "" {
			continue
		}
		if msgs[i] == nil {
			msgs[i] = map[string]any{}
		}
		msgs[i][field] = v
		delete(a, k)
	}
	if len(msgs) == 0 {
		return ""
	}
	idx := make([]int, 0, len(msgs))
	for i := range msgs {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]map[string]any, len(idx))
	for j, i := range idx {
		out[j] = msgs[i]
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// documentIDs lists retrieved documents in order: their
// retrieval.documents.N.document.id (taken), else the "id" or "source" of
// their document.metadata JSON; duplicates once.
func documentIDs(a attrs) []string {
	type doc struct {
		n  int
		id string
	}
	var docs []doc
	for k := range a {
		rest, ok := strings.CutPrefix(k, "retrieval.documents.")
		if !ok {
			continue
		}
		num, field, _ := strings.Cut(rest, ".")
		i, err := strconv.Atoi(num)
		if err != nil || field != "document.id" {
			continue
		}
		if id, ok := a.takeStr(k); ok {
			docs = append(docs, doc{i, id})
		}
	}
	if len(docs) == 0 {
		for k, v := range a {
			rest, ok := strings.CutPrefix(k, "retrieval.documents.")
			num, field, _ := strings.Cut(rest, ".")
			i, err := strconv.Atoi(num)
			s, isStr := v.(string)
			if !ok || err != nil || field != "document.metadata" || !isStr {
				continue
			}
			var md map[string]any
			if json.Unmarshal([]byte(s), &md) != nil {
				continue
			}
			for _, f := range []string{"id", "source"} {
				if id, ok := scalarString(md[f]); ok && id != "" {
					docs = append(docs, doc{i, id})
					break
				}
			}
		}
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].n < docs[j].n })
	var out []string
	seen := map[string]bool{}
	for _, d := range docs {
		if !seen[d.id] {
			seen[d.id] = true
			out = append(out, d.id)
		}
	}
	if len(out) == 0 {
		if id, ok := a.takeStr("gen_ai.data_source.id"); ok {
			out = []string{id}
		}
	}
	return out
}

// mastraScore reads a Mastra scorer_run: the scorer's name, its score and
// reason, and the run it scored (mastra.metadata.targetTraceId, which is
// that run's run_id when it has no evalhouse.run_id).
func mastraScore(ev *envelope.Event, n *node) {
	a := n.a
	if name, ok := strings.CutPrefix(n.span.GetName(), "scorer_run "); ok && ev.Evaluator == "" {
		ev.Evaluator = name
	}
	if s, ok := a.str("mastra.scorer_run.output"); ok {
		var out struct {
			Score  *float64 `json:"score"`
			Reason string   `json:"reason"`
		}
		if json.Unmarshal([]byte(s), &out) == nil && ev.Score == nil {
			ev.Score = out.Score
		}
		ev.Output = s
		delete(a, "mastra.scorer_run.output")
	}
	if t, ok := a.str("mastra.metadata.targetTraceId"); ok && n.ctx.runID == "" {
		ev.RunID = t
	}
}

// spanEvents returns the eval events of a span's gen_ai.evaluation.result
// events (whether or not the span itself maps to an event). Each belongs
// to the span it is attached to (span_id) and gets event_id
// trace_id+span_id+"-"+its index among the span's events.
func spanEvents(n *node, opts Options) []*envelope.Event {
	var out []*envelope.Event
	for i, e := range n.span.GetEvents() {
		if e.GetName() != evalEventName {
			continue
		}
		a := toAttrs(e.GetAttributes())
		ts := time.Unix(0, int64(n.span.GetStartTimeUnixNano())).UTC()
		if t := e.GetTimeUnixNano(); t > 0 && t <= 1<<63-1 {
			ts = time.Unix(0, int64(t)).UTC()
		}
		zero := 0.0
		ev := &envelope.Event{
			Kind: envelope.KindEval, EventID: n.trace + n.id + "-" + strconv.Itoa(i),
			TraceID: n.trace, SpanID: n.id, ParentSpanID: n.effParent, RunID: runID(n),
			TS: ts, DurationMS: &zero, Status: "ok", Dataset: n.ctx.dataset, CaseID: n.ctx.caseID,
		}
		ev.Tenant, ev.Environment, ev.Release = placement(n.ctx, n.res, opts)
		applyOwn(ev, a)
		if ev.Evaluator == "" {
			ev.Evaluator, _ = a.takeStr("gen_ai.evaluation.name")
		}
		if ev.Score == nil {
			ev.Score = a.takeFloat("gen_ai.evaluation.score.value")
		}
		if ev.Passed == nil {
			ev.Passed = passedFromLabel(a)
		}
		if s, ok := a.takeText("gen_ai.evaluation.explanation"); ok {
			ev.Output = s
		}
		a.setIfFree("otel.event.name", evalEventName)
		a.setIfFree("otel.span.name", n.span.GetName())
		if len(n.res.a) > 0 {
			a.setIfFree("otel.resource", clone(map[string]any(n.res.a)))
		}
		ev.Attributes = map[string]any(a)
		out = append(out, ev)
	}
	return out
}

// passedFromLabel reads a pass/fail score label; the label itself stays.
func passedFromLabel(a attrs) *bool {
	s, _ := a.str("gen_ai.evaluation.score.label")
	var b bool
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "pass", "passed", "true", "yes":
		b = true
	case "fail", "failed", "false", "no":
	default:
		return nil
	}
	return &b
}
