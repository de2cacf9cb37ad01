package envelope

import "time"

// fieldType is the JSON shape a top-level envelope field must have.
type fieldType uint8

const (
	tString    fieldType = iota // string
	tKind                       // string, one of Kinds
	tTime                       // RFC 3339 string
	tInt                        // integer (whole numbers such as 12.0 too)
	tFloat                      // number
	tBool                       // boolean
	tStrings                    // array of strings
	tAny                        // any JSON value
	tObject                     // object with any values
	tFreshness                  // {"stale": bool, "age_s": number}
)

// want is how error messages name each fieldType.
var want = [...]string{
	tString:    "string",
	tKind:      "string",
	tTime:      "RFC 3339 timestamp string",
	tInt:       "integer",
	tFloat:     "number",
	tBool:      "boolean",
	tStrings:   "array of strings",
	tAny:       "JSON value",
	tObject:    "object",
	tFreshness: `object {"stale": boolean, "age_s": number}`,
}

// fieldSpec describes one known top-level field. ptr returns a pointer to
// the Event field: *string, *Kind, *time.Time, **time.Time, **int64,
// **float64, **bool, *[]string, *any, *map[string]any or **Freshness.
type fieldSpec struct {
	name string
	typ  fieldType
	bit  uint64
	ptr  func(*Event) any
}

// fieldList is every known field, in Event order. It is the single source
// of field names for Decode, Check and the tests.
var fieldList = []fieldSpec{
	{name: "kind", typ: tKind, ptr: func(e *Event) any { return &e.Kind }},
	{name: "event_id", typ: tString, ptr: func(e *Event) any { return &e.EventID }},
	{name: "trace_id", typ: tString, ptr: func(e *Event) any { return &e.TraceID }},
	{name: "span_id", typ: tString, ptr: func(e *Event) any { return &e.SpanID }},
	{name: "parent_span_id", typ: tString, ptr: func(e *Event) any { return &e.ParentSpanID }},
	{name: "run_id", typ: tString, ptr: func(e *Event) any { return &e.RunID }},
	{name: "tenant", typ: tString, ptr: func(e *Event) any { return &e.Tenant }},
	{name: "environment", typ: tString, ptr: func(e *Event) any { return &e.Environment }},
	{name: "release", typ: tString, ptr: func(e *Event) any { return &e.Release }},
	{name: "ts", typ: tTime, ptr: func(e *Event) any { return &e.TS }},
	{name: "duration_ms", typ: tFloat, ptr: func(e *Event) any { return &e.DurationMS }},
	{name: "status", typ: tString, ptr: func(e *Event) any { return &e.Status }},
	{name: "attributes", typ: tObject, ptr: func(e *Event) any { return &e.Attributes }},
	{name: "dataset", typ: tString, ptr: func(e *Event) any { return &e.Dataset }},
	{name: "case_id", typ: tString, ptr: func(e *Event) any { return &e.CaseID }},

	{name: "actor", typ: tString, ptr: func(e *Event) any { return &e.Actor }},
	{name: "task", typ: tString, ptr: func(e *Event) any { return &e.Task }},
	{name: "input", typ: tAny, ptr: func(e *Event) any { return &e.Input }},
	{name: "output", typ: tAny, ptr: func(e *Event) any { return &e.Output }},
	{name: "stop_reason", typ: tString, ptr: func(e *Event) any { return &e.StopReason }},

	{name: "model", typ: tString, ptr: func(e *Event) any { return &e.Model }},
	{name: "prompt_version", typ: tString, ptr: func(e *Event) any { return &e.PromptVersion }},
	{name: "input_ref", typ: tString, ptr: func(e *Event) any { return &e.InputRef }},
	{name: "output_status", typ: tString, ptr: func(e *Event) any { return &e.OutputStatus }},
	{name: "input_tokens", typ: tInt, ptr: func(e *Event) any { return &e.InputTokens }},
	{name: "output_tokens", typ: tInt, ptr: func(e *Event) any { return &e.OutputTokens }},
	{name: "cost_usd", typ: tFloat, ptr: func(e *Event) any { return &e.CostUSD }},
	{name: "latency_ms", typ: tFloat, ptr: func(e *Event) any { return &e.LatencyMS }},

	{name: "tool", typ: tString, ptr: func(e *Event) any { return &e.Tool }},
	{name: "args", typ: tAny, ptr: func(e *Event) any { return &e.Args }},
	{name: "authorization", typ: tString, ptr: func(e *Event) any { return &e.Authorization }},
	{name: "retry_count", typ: tInt, ptr: func(e *Event) any { return &e.RetryCount }},
	{name: "idempotency_key", typ: tString, ptr: func(e *Event) any { return &e.IdempotencyKey }},
	{name: "side_effect", typ: tString, ptr: func(e *Event) any { return &e.SideEffect }},

	{name: "source_ids", typ: tStrings, ptr: func(e *Event) any { return &e.SourceIDs }},
	{name: "freshness", typ: tFreshness, ptr: func(e *Event) any { return &e.Freshness }},
	{name: "access_decision", typ: tString, ptr: func(e *Event) any { return &e.AccessDecision }},
	{name: "citation_required", typ: tBool, ptr: func(e *Event) any { return &e.CitationRequired }},

	{name: "op", typ: tString, ptr: func(e *Event) any { return &e.Op }},
	{name: "read_ids", typ: tStrings, ptr: func(e *Event) any { return &e.ReadIDs }},
	{name: "write_ids", typ: tStrings, ptr: func(e *Event) any { return &e.WriteIDs }},
	{name: "retention_class", typ: tString, ptr: func(e *Event) any { return &e.RetentionClass }},
	{name: "policy_basis", typ: tString, ptr: func(e *Event) any { return &e.PolicyBasis }},

	{name: "policy_version", typ: tString, ptr: func(e *Event) any { return &e.PolicyVersion }},
	{name: "decision", typ: tString, ptr: func(e *Event) any { return &e.Decision }},
	{name: "reason_code", typ: tString, ptr: func(e *Event) any { return &e.ReasonCode }},
	{name: "enforcement", typ: tString, ptr: func(e *Event) any { return &e.Enforcement }},

	{name: "approver_role", typ: tString, ptr: func(e *Event) any { return &e.ApproverRole }},
	{name: "action", typ: tString, ptr: func(e *Event) any { return &e.Action }},
	{name: "expires_at", typ: tTime, ptr: func(e *Event) any { return &e.ExpiresAt }},
	{name: "result", typ: tString, ptr: func(e *Event) any { return &e.Result }},

	{name: "evaluator", typ: tString, ptr: func(e *Event) any { return &e.Evaluator }},
	{name: "evaluator_version", typ: tString, ptr: func(e *Event) any { return &e.EvaluatorVersion }},
	{name: "score", typ: tFloat, ptr: func(e *Event) any { return &e.Score }},
	{name: "threshold", typ: tFloat, ptr: func(e *Event) any { return &e.Threshold }},
	{name: "passed", typ: tBool, ptr: func(e *Event) any { return &e.Passed }},
}

// fields indexes fieldList by name.
var fields = func() map[string]*fieldSpec {
	if len(fieldList) > 64 {
		panic("envelope: more than 64 fields; widen the seen bitmask in Decode")
	}
	m := make(map[string]*fieldSpec, len(fieldList))
	for i := range fieldList {
		fieldList[i].bit = 1 << uint(i)
		m[fieldList[i].name] = &fieldList[i]
	}
	return m
}()

// present reports whether the field holds a value under the trace
// contract: a non-empty string, a non-nil pointer, a non-zero time, a
// non-empty slice or map, or a free-form value other than null and "".
func (f *fieldSpec) present(ev *Event) bool {
	switch p := f.ptr(ev).(type) {
	case *string:
		return *p != ""
	case *Kind:
		return *p != ""
	case *time.Time:
		return !p.IsZero()
	case **time.Time:
		return *p != nil && !(*p).IsZero()
	case **int64:
		return *p != nil
	case **float64:
		return *p != nil
	case **bool:
		return *p != nil
	case *[]string:
		return len(*p) > 0
	case *map[string]any:
		return len(*p) > 0
	case **Freshness:
		return *p != nil
	case *any:
		return *p != nil && *p != ""
	}
	panic("envelope: unhandled field type for " + f.name)
}
