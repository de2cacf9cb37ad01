package envelope

import (
	"fmt"
	"slices"
)

// Problems a Violation reports.
const (
	ProblemMissing = "missing" // required field absent, null, "" or empty
	ProblemInvalid = "invalid" // present but outside its allowed values
)

// Violation is one breach of the trace contract by one event.
type Violation struct {
	Kind    Kind   // the event's kind, as sent
	Field   string // envelope field name, e.g. "cost_usd"
	Problem string // ProblemMissing or ProblemInvalid
}

// String renders v as `<kind> event: field "<field>" <problem>`.
func (v Violation) String() string {
	return fmt.Sprintf("%s event: field %q %s", v.Kind, v.Field, v.Problem)
}

// commonRequired are required for every kind, in envelope order.
var commonRequired = []string{
	"trace_id", "span_id", "run_id", "tenant", "environment", "release",
	"ts", "duration_ms", "status",
}

// kindRequired are the unconditional requirements of each kind. Memory ids
// are conditional on op; see Check.
var kindRequired = map[Kind][]string{
	KindRun:       {"actor", "task", "input", "output", "stop_reason"},
	KindModel:     {"model", "prompt_version", "input_ref", "output_status", "input_tokens", "output_tokens", "cost_usd", "latency_ms"},
	KindTool:      {"tool", "args", "authorization", "retry_count", "idempotency_key", "side_effect"},
	KindRetrieval: {"source_ids", "freshness", "access_decision", "citation_required"},
	KindMemory:    {"op", "retention_class", "policy_basis"},
	KindPolicy:    {"policy_version", "decision", "reason_code", "enforcement"},
	KindApproval:  {"approver_role", "action", "expires_at", "result"},
	KindEval:      {"case_id", "evaluator", "evaluator_version", "score", "threshold", "passed"},
}

// enums are the fields with a closed set of values, in envelope order.
var enums = []struct {
	field  string
	values []string
}{
	{"status", []string{"ok", "error"}},
	{"authorization", []string{"allowed", "denied", "approval_required"}},
	{"side_effect", []string{"none", "read", "write", "external"}},
	{"access_decision", []string{"allowed", "denied"}},
	{"op", []string{"read", "write", "delete"}},
	{"decision", []string{"allow", "deny", "require_approval"}},
	{"result", []string{"approved", "rejected", "expired"}},
}

// nonNegative are the numeric fields that must be >= 0 when present.
var nonNegative = []string{"duration_ms", "input_tokens", "output_tokens", "cost_usd", "latency_ms", "retry_count"}

// RequiredFields returns the fields the trace contract requires of every
// event of kind k: the common fields, then the kind's own, in envelope
// order. It returns nil for an unknown kind. For KindMemory it omits the
// id lists, whose requirement depends on op: read needs read_ids, write
// needs write_ids, delete needs write_ids or read_ids.
//
// For KindModel it includes cost_usd: callers that can price the model
// fill cost_usd (see FillCost) before calling Check.
func RequiredFields(k Kind) []string {
	own, ok := kindRequired[k]
	if !ok {
		return nil
	}
	return slices.Concat(commonRequired, own)
}

// EnumValues returns the allowed values of an enumerated field, or nil
// when field is not enumerated.
func EnumValues(field string) []string {
	for _, e := range enums {
		if e.field == field {
			return slices.Clone(e.values)
		}
	}
	return nil
}

// Check returns the event's breaches of the trace contract, or nil when it
// has none. The rules, in the order violations are reported:
//
//  1. kind must be one of Kinds (missing or invalid otherwise).
//  2. every field of RequiredFields(kind) must be present: a non-empty
//     string, a set number or boolean, a non-zero time, a non-empty list,
//     or (input, output, args) a value other than null and "".
//  3. memory ids follow op: op=read requires read_ids, op=write requires
//     write_ids, op=delete requires write_ids or read_ids (reported as
//     write_ids missing when both are empty). An invalid op requires
//     neither.
//  4. an event with a dataset requires case_id.
//  5. present values are valid whatever the kind: enumerated fields (see
//     EnumValues) hold one of their values; duration_ms, input_tokens,
//     output_tokens, cost_usd, latency_ms, retry_count and freshness.age_s
//     are >= 0; dataset matches ValidDataset.
//
// Check treats cost_usd as required for model events; the pipeline fills
// it from the price table before calling Check.
func Check(ev *Event) []Violation {
	var out []Violation
	add := func(field, problem string) {
		out = append(out, Violation{Kind: ev.Kind, Field: field, Problem: problem})
	}
	required := commonRequired
	switch {
	case ev.Kind == "":
		add("kind", ProblemMissing)
	case !ValidKind(ev.Kind):
		add("kind", ProblemInvalid)
	default:
		required = RequiredFields(ev.Kind)
	}
	for _, name := range required {
		if !fields[name].present(ev) {
			add(name, ProblemMissing)
		}
	}
	if ev.Kind == KindMemory {
		switch ev.Op {
		case "read":
			if len(ev.ReadIDs) == 0 {
				add("read_ids", ProblemMissing)
			}
		case "write":
			if len(ev.WriteIDs) == 0 {
				add("write_ids", ProblemMissing)
			}
		case "delete":
			if len(ev.WriteIDs) == 0 && len(ev.ReadIDs) == 0 {
				add("write_ids", ProblemMissing)
			}
		}
	}
	if ev.Dataset != "" && ev.CaseID == "" && !slices.Contains(required, "case_id") {
		add("case_id", ProblemMissing)
	}
	for _, e := range enums {
		v := *fields[e.field].ptr(ev).(*string)
		if v != "" && !slices.Contains(e.values, v) {
			add(e.field, ProblemInvalid)
		}
	}
	for _, name := range nonNegative {
		switch p := fields[name].ptr(ev).(type) {
		case **float64:
			if *p != nil && !(**p >= 0) { // also catches NaN
				add(name, ProblemInvalid)
			}
		case **int64:
			if *p != nil && **p < 0 {
				add(name, ProblemInvalid)
			}
		}
	}
	if ev.Freshness != nil && !(ev.Freshness.AgeS >= 0) {
		add("freshness.age_s", ProblemInvalid)
	}
	if ev.Dataset != "" && !ValidDataset(ev.Dataset) {
		add("dataset", ProblemInvalid)
	}
	return out
}
