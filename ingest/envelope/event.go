// Package envelope defines evalhouse's native event envelope: one JSON object
// per line, the format for agents and tools that don't speak OTLP.
//
// The envelope's field names are snake_case and stable; docs/envelope.md and
// docs/envelope.schema.json describe them. Unknown top-level fields are kept
// under Attributes, never dropped.
package envelope

import "time"

// Kind is the type of an agent event.
type Kind string

// The eight event kinds.
const (
	KindRun       Kind = "run"
	KindModel     Kind = "model"
	KindTool      Kind = "tool"
	KindRetrieval Kind = "retrieval"
	KindMemory    Kind = "memory"
	KindPolicy    Kind = "policy"
	KindApproval  Kind = "approval"
	KindEval      Kind = "eval"
)

// Kinds lists every kind in a stable order.
var Kinds = []Kind{KindRun, KindModel, KindTool, KindRetrieval, KindMemory, KindPolicy, KindApproval, KindEval}

// Freshness says how old a retrieved source was.
type Freshness struct {
	Stale bool    `json:"stale"`
	AgeS  float64 `json:"age_s"`
}

// Event is one decoded envelope event. Optional numeric and boolean fields
// are pointers so that the trace contract can tell "absent" from "zero".
// Free-form values (Input, Output, Args) keep their JSON shape as
// any (string, number, bool, nil, []any, map[string]any).
type Event struct {
	// Common to every kind.
	Kind         Kind           `json:"kind"`
	EventID      string         `json:"event_id,omitempty"`
	TraceID      string         `json:"trace_id,omitempty"`
	SpanID       string         `json:"span_id,omitempty"`
	ParentSpanID string         `json:"parent_span_id,omitempty"`
	RunID        string         `json:"run_id,omitempty"`
	Tenant       string         `json:"tenant,omitempty"`
	Environment  string         `json:"environment,omitempty"`
	Release      string         `json:"release,omitempty"`
	TS           time.Time      `json:"ts"`
	DurationMS   *float64       `json:"duration_ms,omitempty"`
	Status       string         `json:"status,omitempty"`
	Attributes   map[string]any `json:"attributes,omitempty"`
	Dataset      string         `json:"dataset,omitempty"`
	CaseID       string         `json:"case_id,omitempty"` // also the eval kind's case

	// run
	Actor      string `json:"actor,omitempty"`
	Task       string `json:"task,omitempty"`
	Input      any    `json:"input,omitempty"`
	Output     any    `json:"output,omitempty"`
	StopReason string `json:"stop_reason,omitempty"`

	// model
	Model         string   `json:"model,omitempty"`
	PromptVersion string   `json:"prompt_version,omitempty"`
	InputRef      string   `json:"input_ref,omitempty"`
	OutputStatus  string   `json:"output_status,omitempty"`
	InputTokens   *int64   `json:"input_tokens,omitempty"`
	OutputTokens  *int64   `json:"output_tokens,omitempty"`
	CostUSD       *float64 `json:"cost_usd,omitempty"`
	LatencyMS     *float64 `json:"latency_ms,omitempty"`

	// tool
	Tool           string `json:"tool,omitempty"`
	Args           any    `json:"args,omitempty"`
	Authorization  string `json:"authorization,omitempty"`
	RetryCount     *int64 `json:"retry_count,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	SideEffect     string `json:"side_effect,omitempty"`

	// retrieval
	SourceIDs        []string   `json:"source_ids,omitempty"`
	Freshness        *Freshness `json:"freshness,omitempty"`
	AccessDecision   string     `json:"access_decision,omitempty"`
	CitationRequired *bool      `json:"citation_required,omitempty"`

	// memory
	Op             string   `json:"op,omitempty"`
	ReadIDs        []string `json:"read_ids,omitempty"`
	WriteIDs       []string `json:"write_ids,omitempty"`
	RetentionClass string   `json:"retention_class,omitempty"`
	PolicyBasis    string   `json:"policy_basis,omitempty"`

	// policy
	PolicyVersion string `json:"policy_version,omitempty"`
	Decision      string `json:"decision,omitempty"`
	ReasonCode    string `json:"reason_code,omitempty"`
	Enforcement   string `json:"enforcement,omitempty"`

	// approval
	ApproverRole string     `json:"approver_role,omitempty"`
	Action       string     `json:"action,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	Result       string     `json:"result,omitempty"`

	// eval
	Evaluator        string   `json:"evaluator,omitempty"`
	EvaluatorVersion string   `json:"evaluator_version,omitempty"`
	Score            *float64 `json:"score,omitempty"`
	Threshold        *float64 `json:"threshold,omitempty"`
	Passed           *bool    `json:"passed,omitempty"`
}
