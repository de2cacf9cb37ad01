// Package evaluators scores agent runs with rules written as expressions
// (expr-lang/expr) against one typed environment, the same online and in CI.
package evaluators

import "time"

// Env is what every rule sees: one run, the dataset case it executed (empty
// for production runs), and the run's events by kind. Field names in rules
// are the envelope's snake_case names (docs/envelope.md).
type Env struct {
	Run             Run              `expr:"run"`
	Case            Case             `expr:"case"`
	ModelCalls      []ModelCall      `expr:"model_calls"`
	ToolCalls       []ToolCall       `expr:"tool_calls"`
	Retrievals      []Retrieval      `expr:"retrievals"`
	MemoryOps       []MemoryOp       `expr:"memory_ops"`
	PolicyDecisions []PolicyDecision `expr:"policy_decisions"`
	Approvals       []Approval       `expr:"approvals"`
	Evals           []EvalResult     `expr:"evals"`
}

// Run is the run as a whole: its run event, with totals over its model calls.
type Run struct {
	ID           string  `expr:"id"`
	TraceID      string  `expr:"trace_id"`
	Status       string  `expr:"status"`
	StopReason   string  `expr:"stop_reason"`
	Input        string  `expr:"input"`
	Output       string  `expr:"output"`
	DurationMS   float64 `expr:"duration_ms"`
	CostUSD      float64 `expr:"cost_usd"`      // sum over model calls
	InputTokens  int64   `expr:"input_tokens"`  // sum over model calls
	OutputTokens int64   `expr:"output_tokens"` // sum over model calls
	Release      string  `expr:"release"`
	Environment  string  `expr:"environment"`
	Tenant       string  `expr:"tenant"`
	Actor        string  `expr:"actor"`
	Task         string  `expr:"task"`
	Dataset      string  `expr:"dataset"`
}

// Case is the dataset case a run executed.
type Case struct {
	ID       string         `expr:"id"`
	Input    any            `expr:"input"`
	Expected map[string]any `expr:"expected"`
	Tags     []string       `expr:"tags"`
}

// ModelCall is a model event.
type ModelCall struct {
	SpanID        string  `expr:"span_id"`
	Status        string  `expr:"status"`
	DurationMS    float64 `expr:"duration_ms"`
	Model         string  `expr:"model"`
	PromptVersion string  `expr:"prompt_version"`
	InputRef      string  `expr:"input_ref"`
	OutputStatus  string  `expr:"output_status"`
	InputTokens   int64   `expr:"input_tokens"`
	OutputTokens  int64   `expr:"output_tokens"`
	CostUSD       float64 `expr:"cost_usd"`
	LatencyMS     float64 `expr:"latency_ms"`
}

// ToolCall is a tool event.
type ToolCall struct {
	SpanID         string  `expr:"span_id"`
	Status         string  `expr:"status"`
	DurationMS     float64 `expr:"duration_ms"`
	Tool           string  `expr:"tool"`
	Args           any     `expr:"args"`
	Authorization  string  `expr:"authorization"`
	RetryCount     int64   `expr:"retry_count"`
	IdempotencyKey string  `expr:"idempotency_key"`
	SideEffect     string  `expr:"side_effect"`
}

// Freshness says how old a retrieved source was.
type Freshness struct {
	Stale bool    `expr:"stale"`
	AgeS  float64 `expr:"age_s"`
}

// Retrieval is a retrieval event.
type Retrieval struct {
	SpanID           string    `expr:"span_id"`
	Status           string    `expr:"status"`
	DurationMS       float64   `expr:"duration_ms"`
	SourceIDs        []string  `expr:"source_ids"`
	Freshness        Freshness `expr:"freshness"`
	AccessDecision   string    `expr:"access_decision"`
	CitationRequired bool      `expr:"citation_required"`
}

// MemoryOp is a memory event.
type MemoryOp struct {
	SpanID         string   `expr:"span_id"`
	Status         string   `expr:"status"`
	DurationMS     float64  `expr:"duration_ms"`
	Op             string   `expr:"op"`
	ReadIDs        []string `expr:"read_ids"`
	WriteIDs       []string `expr:"write_ids"`
	RetentionClass string   `expr:"retention_class"`
	PolicyBasis    string   `expr:"policy_basis"`
}

// PolicyDecision is a policy event.
type PolicyDecision struct {
	SpanID        string  `expr:"span_id"`
	Status        string  `expr:"status"`
	DurationMS    float64 `expr:"duration_ms"`
	PolicyVersion string  `expr:"policy_version"`
	Decision      string  `expr:"decision"`
	ReasonCode    string  `expr:"reason_code"`
	Enforcement   string  `expr:"enforcement"`
}

// Approval is an approval event.
type Approval struct {
	SpanID       string    `expr:"span_id"`
	Status       string    `expr:"status"`
	DurationMS   float64   `expr:"duration_ms"`
	ApproverRole string    `expr:"approver_role"`
	Action       string    `expr:"action"`
	ExpiresAt    time.Time `expr:"expires_at"`
	Result       string    `expr:"result"`
}

// EvalResult is an eval event the agent's own evaluators emitted.
type EvalResult struct {
	SpanID           string  `expr:"span_id"`
	Status           string  `expr:"status"`
	CaseID           string  `expr:"case_id"`
	Evaluator        string  `expr:"evaluator"`
	EvaluatorVersion string  `expr:"evaluator_version"`
	Score            float64 `expr:"score"`
	Threshold        float64 `expr:"threshold"`
	Passed           bool    `expr:"passed"`
}
