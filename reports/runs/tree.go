package runs

import (
	"encoding/json"
	"time"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// Tree is one run reconstructed for a responder: the run as the list shows
// it, its events nested by parent span in time order, the rules' results
// and the trace-contract gaps.
type Tree struct {
	Run Run `json:"run"`
	// Events are the run's top-level events (its run event, and any event
	// whose parent span is not in the run), each with its children, every
	// level in (ts, span_id) order.
	Events []*Event `json:"events"`
	// EvalResults are each rule's latest result on the run (eval_results),
	// by rule id; the run's own eval events are in Events.
	EvalResults []evaluators.RunResult `json:"eval_results"`
	// ContractGaps are the fields the run's events miss or misstate, in
	// event order.
	ContractGaps []Gap `json:"contract_gaps"`
}

// Gap is one trace-contract field an event misses or misstates.
type Gap struct {
	SpanID string `json:"span_id"`
	Kind   string `json:"kind"`
	// Name is what the event is about: its tool, model, action, …; "".
	Name  string `json:"name,omitempty"`
	Field string `json:"field"`
}

// Event is one event of the run. Exactly one of the kind sections (Run,
// Model, …) is set, the one of Kind.
type Event struct {
	Kind         string    `json:"kind"`
	EventID      string    `json:"event_id"`
	SpanID       string    `json:"span_id"`
	ParentSpanID string    `json:"parent_span_id,omitempty"`
	TS           time.Time `json:"ts"`
	// OffsetMS is how long after the run started the event did (negative
	// for an event stamped before its run).
	OffsetMS   float64 `json:"offset_ms"`
	DurationMS float64 `json:"duration_ms"`
	Status     string  `json:"status"`

	Run       *RunStep   `json:"run,omitempty"`
	Model     *ModelCall `json:"model,omitempty"`
	Tool      *ToolCall  `json:"tool,omitempty"`
	Retrieval *Retrieval `json:"retrieval,omitempty"`
	Memory    *Memory    `json:"memory,omitempty"`
	Policy    *Policy    `json:"policy,omitempty"`
	Approval  *Approval  `json:"approval,omitempty"`
	Eval      *Eval      `json:"eval,omitempty"`

	// Attributes are the event's free-form attributes, redacted at ingest.
	Attributes json.RawMessage `json:"attributes,omitempty"`
	// ContractViolations are the contract fields it misses or misstates.
	ContractViolations []string `json:"contract_violations,omitempty"`
	// Redactions count the secrets ingest replaced in it, by type.
	Redactions map[string]uint32 `json:"redactions,omitempty"`
	Children   []*Event          `json:"children,omitempty"`
}

// RunStep is the run event: who did what, with the (redacted) payloads.
type RunStep struct {
	Actor      string          `json:"actor"`
	Task       string          `json:"task"`
	StopReason string          `json:"stop_reason"`
	Input      json.RawMessage `json:"input,omitempty"`
	Output     json.RawMessage `json:"output,omitempty"`
}

// ModelCall is a model event.
type ModelCall struct {
	Model         string  `json:"model"`
	PromptVersion string  `json:"prompt_version"`
	InputRef      string  `json:"input_ref,omitempty"`
	OutputStatus  string  `json:"output_status"`
	InputTokens   uint64  `json:"input_tokens"`
	OutputTokens  uint64  `json:"output_tokens"`
	CostUSD       float64 `json:"cost_usd"`
	// CostSource says where the cost came from (reported by the agent, or
	// computed from the price table).
	CostSource string  `json:"cost_source,omitempty"`
	LatencyMS  float64 `json:"latency_ms"`
}

// ToolCall is a tool event.
type ToolCall struct {
	Tool           string          `json:"tool"`
	Args           json.RawMessage `json:"args,omitempty"` // redacted at ingest
	Authorization  string          `json:"authorization"`  // allowed, denied or approval_required
	SideEffect     string          `json:"side_effect"`    // none, read, write or external
	RetryCount     uint32          `json:"retry_count"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	// Approval, for a call whose authorization is approval_required, is the
	// result of the latest approval of this tool before it in the run
	// (approved, rejected or expired), or "none".
	Approval string `json:"approval,omitempty"`
}

// Retrieval is a retrieval event.
type Retrieval struct {
	SourceIDs []string `json:"source_ids"`
	// Stale and AgeS are the sources' freshness; FreshnessKnown is false
	// when the event did not say (a contract gap).
	Stale            bool    `json:"stale"`
	AgeS             float64 `json:"age_s"`
	FreshnessKnown   bool    `json:"freshness_known"`
	AccessDecision   string  `json:"access_decision"`
	CitationRequired bool    `json:"citation_required"`
}

// Memory is a memory read, write or delete.
type Memory struct {
	Op             string   `json:"op"`
	ReadIDs        []string `json:"read_ids,omitempty"`
	WriteIDs       []string `json:"write_ids,omitempty"`
	RetentionClass string   `json:"retention_class"`
	PolicyBasis    string   `json:"policy_basis"`
}

// Policy is a policy decision.
type Policy struct {
	PolicyVersion string `json:"policy_version"`
	Decision      string `json:"decision"`
	ReasonCode    string `json:"reason_code"`
	Enforcement   string `json:"enforcement"`
}

// Approval is an approval event.
type Approval struct {
	ApproverRole string    `json:"approver_role"`
	Action       string    `json:"action"`
	Result       string    `json:"result"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// Eval is an eval event the agent's harness emitted.
type Eval struct {
	CaseID           string  `json:"case_id"`
	Evaluator        string  `json:"evaluator"`
	EvaluatorVersion string  `json:"evaluator_version"`
	Score            float64 `json:"score"`
	Threshold        float64 `json:"threshold"`
	Passed           bool    `json:"passed"`
}

// Assemble builds the Tree of one run from its events in (ts, span_id)
// order (events.RunEvents) and its rules' results. An event whose parent
// span is in the run is that span's child (the first event with the span
// id, when several share it); any other is top-level; a parent chain that
// loops is cut at its earliest event, which is top-level.
func Assemble(rows []events.Row, results []evaluators.RunResult) *Tree {
	t := &Tree{Events: []*Event{}, EvalResults: results, ContractGaps: []Gap{}}
	if t.EvalResults == nil {
		t.EvalResults = []evaluators.RunResult{}
	}
	t.Run = Run{RunSummary: summarize(rows), FailingRules: failing(results)}
	start := t.Run.Started
	if start.IsZero() && len(rows) > 0 {
		start = rows[0].TS
	}
	nodes := make([]*Event, len(rows))
	bySpan := map[string]int{}
	approvals := map[string]string{} // tool → latest approval result so far
	for i := range rows {
		r := &rows[i]
		nodes[i] = toEvent(r, start, approvals)
		if _, dup := bySpan[r.SpanID]; !dup && r.SpanID != "" {
			bySpan[r.SpanID] = i
		}
		for _, f := range r.ContractViolations {
			t.ContractGaps = append(t.ContractGaps, Gap{SpanID: r.SpanID, Kind: string(r.Kind), Name: nameOf(r), Field: f})
		}
	}
	parent := func(i int) int {
		p, ok := bySpan[rows[i].ParentSpanID]
		if !ok || rows[i].ParentSpanID == "" || p == i {
			return -1
		}
		return p
	}
	for i := range rows {
		p := parent(i)
		// A chain that comes back to i is a loop: cut it at its earliest
		// event, which becomes top-level.
		earliest := i
		for q, hops := p, 0; q >= 0 && hops <= len(rows); q, hops = parent(q), hops+1 {
			if q == i {
				if earliest == i {
					p = -1
				}
				break
			}
			earliest = min(earliest, q)
		}
		if p < 0 {
			t.Events = append(t.Events, nodes[i])
		} else {
			nodes[p].Children = append(nodes[p].Children, nodes[i])
		}
	}
	return t
}

// toEvent is one row as an Event; approvals tracks the run's approvals
// seen so far, for the approval_required tools that follow them.
func toEvent(r *events.Row, start time.Time, approvals map[string]string) *Event {
	e := &Event{Kind: string(r.Kind), EventID: r.EventID, SpanID: r.SpanID, ParentSpanID: r.ParentSpanID, TS: r.TS,
		OffsetMS: float64(r.TS.Sub(start).Microseconds()) / 1000, DurationMS: r.DurationMS, Status: r.Status,
		Attributes: rawJSON(r.Attributes), ContractViolations: r.ContractViolations}
	if len(r.RedactionCounts) > 0 {
		e.Redactions = r.RedactionCounts
	}
	switch r.Kind {
	case envelope.KindRun:
		e.Run = &RunStep{Actor: r.Actor, Task: r.Task, StopReason: r.StopReason, Input: rawJSON(r.Input), Output: rawJSON(r.Output)}
	case envelope.KindModel:
		e.Model = &ModelCall{Model: r.Model, PromptVersion: r.PromptVersion, InputRef: r.InputRef, OutputStatus: r.OutputStatus,
			InputTokens: r.InputTokens, OutputTokens: r.OutputTokens, CostUSD: r.CostUSD, CostSource: r.CostSource, LatencyMS: r.LatencyMS}
	case envelope.KindTool:
		e.Tool = &ToolCall{Tool: r.Tool, Args: rawJSON(r.Args), Authorization: r.Authorization, SideEffect: r.SideEffect,
			RetryCount: r.RetryCount, IdempotencyKey: r.IdempotencyKey}
		if r.Authorization == "approval_required" {
			e.Tool.Approval = approvals[r.Tool]
			if e.Tool.Approval == "" {
				e.Tool.Approval = "none"
			}
		}
	case envelope.KindRetrieval:
		known := true
		for _, f := range r.ContractViolations {
			known = known && f != "freshness"
		}
		e.Retrieval = &Retrieval{SourceIDs: orEmpty(r.SourceIDs), Stale: r.FreshnessStale, AgeS: r.FreshnessAgeS, FreshnessKnown: known,
			AccessDecision: r.AccessDecision, CitationRequired: r.CitationRequired}
	case envelope.KindMemory:
		e.Memory = &Memory{Op: r.Op, ReadIDs: r.ReadIDs, WriteIDs: r.WriteIDs, RetentionClass: r.RetentionClass, PolicyBasis: r.PolicyBasis}
	case envelope.KindPolicy:
		e.Policy = &Policy{PolicyVersion: r.PolicyVersion, Decision: r.Decision, ReasonCode: r.ReasonCode, Enforcement: r.Enforcement}
	case envelope.KindApproval:
		e.Approval = &Approval{ApproverRole: r.ApproverRole, Action: r.Action, Result: r.Result, ExpiresAt: r.ExpiresAt}
		approvals[r.Action] = r.Result
	case envelope.KindEval:
		e.Eval = &Eval{CaseID: r.CaseID, Evaluator: r.Evaluator, EvaluatorVersion: r.EvaluatorVersion, Score: r.Score,
			Threshold: r.Threshold, Passed: r.Passed}
	}
	return e
}

// summarize adds a run's events up as events.ListRuns does.
func summarize(rows []events.Row) events.RunSummary {
	s := events.RunSummary{Policy: map[string]uint64{}}
	haveRun := false
	for i := range rows {
		r := &rows[i]
		if s.Tenant == "" {
			s.Tenant, s.RunID, s.TraceID = r.Tenant, r.RunID, r.TraceID
		}
		s.Events++
		s.ContractViolations += uint64(len(r.ContractViolations))
		s.Redactions += uint64(r.Redactions)
		if r.Kind != envelope.KindRun && r.Status == "error" {
			s.ErrorEvents++
		}
		switch r.Kind {
		case envelope.KindRun:
			if !haveRun {
				haveRun = true
				s.TraceID, s.Environment, s.Release, s.Dataset, s.CaseID = r.TraceID, r.Environment, r.Release, r.Dataset, r.CaseID
				s.Actor, s.Task, s.Status, s.StopReason, s.Started, s.DurationMS = r.Actor, r.Task, r.Status, r.StopReason, r.TS, r.DurationMS
			}
		case envelope.KindModel:
			s.ModelCalls++
			s.InputTokens += r.InputTokens
			s.OutputTokens += r.OutputTokens
			s.CostUSD += r.CostUSD
		case envelope.KindTool:
			s.ToolCalls++
		case envelope.KindPolicy:
			s.Policy[r.Decision]++
		}
	}
	return s
}

// nameOf is what an event is about, for a gap's line.
func nameOf(r *events.Row) string {
	switch r.Kind {
	case envelope.KindModel:
		return r.Model
	case envelope.KindTool:
		return r.Tool
	case envelope.KindPolicy:
		return r.PolicyVersion
	case envelope.KindApproval:
		return r.Action
	case envelope.KindEval:
		return r.Evaluator
	case envelope.KindRun:
		return r.Task
	}
	return ""
}

// rawJSON is a stored JSON text as itself, or as a JSON string when it is
// not JSON; nil when empty.
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
