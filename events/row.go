// Package events owns the agent_events table and its ingest_log: the row
// type (declared here once, with its column names and its Parquet
// encoding), the statements that write and read it (sql/*.sql), and typed
// readers for everyone else. No other package writes SQL on these tables;
// ingest's Writer decides what to store and calls Insert, evaluators read
// runs with ForEachRun, the gate reads RunMetrics and ContractGaps,
// incidents read traces, reports read the summaries, parquet pages through
// Page.
package events

import (
	"time"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// Row is one agent_events row. Each field's `ch` tag is its column; field
// order is the table's column order (TestRowIsTheTable keeps the two and
// the migration in step). The `parquet` tags are the layout of exported
// event files (ingest/parquet): a file row is a stored row. A field tagged
// insert:"-" is filled by the table's default and only read.
type Row struct {
	Tenant       string        `ch:"tenant" parquet:"tenant,dict"`
	Environment  string        `ch:"environment" parquet:"environment,dict"`
	TS           time.Time     `ch:"ts" parquet:"ts,timestamp(microsecond),delta"`
	Kind         envelope.Kind `ch:"kind" parquet:"kind,dict"`
	EventID      string        `ch:"event_id" parquet:"event_id"`
	TraceID      string        `ch:"trace_id" parquet:"trace_id"`
	SpanID       string        `ch:"span_id" parquet:"span_id"`
	ParentSpanID string        `ch:"parent_span_id" parquet:"parent_span_id"`
	RunID        string        `ch:"run_id" parquet:"run_id"`
	Release      string        `ch:"release" parquet:"release,dict"`
	DurationMS   float64       `ch:"duration_ms" parquet:"duration_ms"`
	Status       string        `ch:"status" parquet:"status,dict"`
	Dataset      string        `ch:"dataset" parquet:"dataset,dict"`
	CaseID       string        `ch:"case_id" parquet:"case_id"`

	Actor      string `ch:"actor" parquet:"actor,dict"`
	Task       string `ch:"task" parquet:"task,dict"`
	Input      string `ch:"input" parquet:"input"`
	Output     string `ch:"output" parquet:"output"`
	StopReason string `ch:"stop_reason" parquet:"stop_reason,dict"`

	Model         string  `ch:"model" parquet:"model,dict"`
	PromptVersion string  `ch:"prompt_version" parquet:"prompt_version,dict"`
	InputRef      string  `ch:"input_ref" parquet:"input_ref"`
	OutputStatus  string  `ch:"output_status" parquet:"output_status,dict"`
	InputTokens   uint64  `ch:"input_tokens" parquet:"input_tokens"`
	OutputTokens  uint64  `ch:"output_tokens" parquet:"output_tokens"`
	CostUSD       float64 `ch:"cost_usd" parquet:"cost_usd"`
	CostSource    string  `ch:"cost_source" parquet:"cost_source,dict"`
	LatencyMS     float64 `ch:"latency_ms" parquet:"latency_ms"`

	Tool           string `ch:"tool" parquet:"tool,dict"`
	Args           string `ch:"args" parquet:"args"`
	Authorization  string `ch:"authorization" parquet:"authorization,dict"`
	RetryCount     uint32 `ch:"retry_count" parquet:"retry_count"`
	IdempotencyKey string `ch:"idempotency_key" parquet:"idempotency_key"`
	SideEffect     string `ch:"side_effect" parquet:"side_effect,dict"`

	SourceIDs        []string `ch:"source_ids" parquet:"source_ids,list"`
	FreshnessStale   bool     `ch:"freshness_stale" parquet:"freshness_stale"`
	FreshnessAgeS    float64  `ch:"freshness_age_s" parquet:"freshness_age_s"`
	AccessDecision   string   `ch:"access_decision" parquet:"access_decision,dict"`
	CitationRequired bool     `ch:"citation_required" parquet:"citation_required"`

	Op             string   `ch:"op" parquet:"op,dict"`
	ReadIDs        []string `ch:"read_ids" parquet:"read_ids,list"`
	WriteIDs       []string `ch:"write_ids" parquet:"write_ids,list"`
	RetentionClass string   `ch:"retention_class" parquet:"retention_class,dict"`
	PolicyBasis    string   `ch:"policy_basis" parquet:"policy_basis,dict"`

	PolicyVersion string `ch:"policy_version" parquet:"policy_version,dict"`
	Decision      string `ch:"decision" parquet:"decision,dict"`
	ReasonCode    string `ch:"reason_code" parquet:"reason_code,dict"`
	Enforcement   string `ch:"enforcement" parquet:"enforcement,dict"`

	ApproverRole string    `ch:"approver_role" parquet:"approver_role,dict"`
	Action       string    `ch:"action" parquet:"action,dict"`
	ExpiresAt    time.Time `ch:"expires_at" parquet:"expires_at,timestamp(millisecond)"`
	Result       string    `ch:"result" parquet:"result,dict"`

	Evaluator        string  `ch:"evaluator" parquet:"evaluator,dict"`
	EvaluatorVersion string  `ch:"evaluator_version" parquet:"evaluator_version,dict"`
	Score            float64 `ch:"score" parquet:"score"`
	Threshold        float64 `ch:"threshold" parquet:"threshold"`
	Passed           bool    `ch:"passed" parquet:"passed"`

	Attributes string `ch:"attributes" parquet:"attributes"`

	ContractViolations []string          `ch:"contract_violations" parquet:"contract_violations,list" parquet-element:",dict"`
	Redactions         uint32            `ch:"redactions" parquet:"redactions"`
	RedactionCounts    map[string]uint32 `ch:"redaction_counts" parquet:"redaction_counts" parquet-key:",dict"`
	Source             string            `ch:"source" parquet:"source,dict"`
	StorageRetention   string            `ch:"storage_retention" parquet:"storage_retention,dict"`
	RetentionDays      uint16            `ch:"retention_days" parquet:"retention_days"`
	IngestID           string            `ch:"ingest_id" parquet:"ingest_id,dict"`
	// ContentHash fingerprints what the event says (ContentHash); 0 on
	// rows stored before it was kept.
	ContentHash uint64 `ch:"content_hash" parquet:"content_hash"`
	// IngestedAt is set by the store when the row lands.
	IngestedAt time.Time `ch:"ingested_at" insert:"-" parquet:"ingested_at,timestamp(millisecond),delta"`
}
