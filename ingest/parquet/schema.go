// Package parquet moves agent events between the store and Apache Parquet
// files: Export streams agent_events rows into a file, and Read feeds a
// file's rows back through the ingest pipeline (see docs/parquet.md).
//
// A file holds one row per event with every agent_events column, named as
// in the table, so a file exported from one store and read into another
// reproduces the rows: the pipeline redacts them again (a no-op on rows
// that were redacted when first ingested) and deduplicates them, but keeps
// what their first ingest recorded.
package parquet

import (
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/evalhouse/evalhouse/ingest"
)

// SchemaVersion names the layout of Record; files carry it in their
// key/value metadata under MetaSchema.
const SchemaVersion = "evalhouse.agent_events/v1"

// MetaSchema is the key/value metadata key holding SchemaVersion.
const MetaSchema = "evalhouse.schema"

// RowGroupRows is how many rows a row group holds at most.
const RowGroupRows = 64 << 10

// Record is one agent_events row as a Parquet row. Column names are the
// table's; low-cardinality strings are dictionary-encoded, timestamps
// delta-encoded, and every column is zstd-compressed (see writerOptions).
// Columns are required, not optional: the table has empty and zero
// defaults, not NULLs.
type Record struct {
	Tenant       string    `parquet:"tenant,dict"`
	Environment  string    `parquet:"environment,dict"`
	TS           time.Time `parquet:"ts,timestamp(microsecond),delta"`
	Kind         string    `parquet:"kind,dict"`
	EventID      string    `parquet:"event_id"`
	TraceID      string    `parquet:"trace_id"`
	SpanID       string    `parquet:"span_id"`
	ParentSpanID string    `parquet:"parent_span_id"`
	RunID        string    `parquet:"run_id"`
	Release      string    `parquet:"release,dict"`
	DurationMS   float64   `parquet:"duration_ms"`
	Status       string    `parquet:"status,dict"`
	Dataset      string    `parquet:"dataset,dict"`
	CaseID       string    `parquet:"case_id"`

	Actor      string `parquet:"actor,dict"`
	Task       string `parquet:"task,dict"`
	Input      string `parquet:"input"`
	Output     string `parquet:"output"`
	StopReason string `parquet:"stop_reason,dict"`

	Model         string  `parquet:"model,dict"`
	PromptVersion string  `parquet:"prompt_version,dict"`
	InputRef      string  `parquet:"input_ref"`
	OutputStatus  string  `parquet:"output_status,dict"`
	InputTokens   uint64  `parquet:"input_tokens"`
	OutputTokens  uint64  `parquet:"output_tokens"`
	CostUSD       float64 `parquet:"cost_usd"`
	CostSource    string  `parquet:"cost_source,dict"`
	LatencyMS     float64 `parquet:"latency_ms"`

	Tool           string `parquet:"tool,dict"`
	Args           string `parquet:"args"`
	Authorization  string `parquet:"authorization,dict"`
	RetryCount     uint32 `parquet:"retry_count"`
	IdempotencyKey string `parquet:"idempotency_key"`
	SideEffect     string `parquet:"side_effect,dict"`

	SourceIDs        []string `parquet:"source_ids,list"`
	FreshnessStale   bool     `parquet:"freshness_stale"`
	FreshnessAgeS    float64  `parquet:"freshness_age_s"`
	AccessDecision   string   `parquet:"access_decision,dict"`
	CitationRequired bool     `parquet:"citation_required"`

	Op             string   `parquet:"op,dict"`
	ReadIDs        []string `parquet:"read_ids,list"`
	WriteIDs       []string `parquet:"write_ids,list"`
	RetentionClass string   `parquet:"retention_class,dict"`
	PolicyBasis    string   `parquet:"policy_basis,dict"`

	PolicyVersion string `parquet:"policy_version,dict"`
	Decision      string `parquet:"decision,dict"`
	ReasonCode    string `parquet:"reason_code,dict"`
	Enforcement   string `parquet:"enforcement,dict"`

	ApproverRole string    `parquet:"approver_role,dict"`
	Action       string    `parquet:"action,dict"`
	ExpiresAt    time.Time `parquet:"expires_at,timestamp(millisecond)"`
	Result       string    `parquet:"result,dict"`

	Evaluator        string  `parquet:"evaluator,dict"`
	EvaluatorVersion string  `parquet:"evaluator_version,dict"`
	Score            float64 `parquet:"score"`
	Threshold        float64 `parquet:"threshold"`
	Passed           bool    `parquet:"passed"`

	Attributes string `parquet:"attributes"`

	ContractViolations []string          `parquet:"contract_violations,list" parquet-element:",dict"`
	Redactions         uint32            `parquet:"redactions"`
	RedactionCounts    map[string]uint32 `parquet:"redaction_counts" parquet-key:",dict"`
	Source             string            `parquet:"source,dict"`
	StorageRetention   string            `parquet:"storage_retention,dict"`
	RetentionDays      uint16            `parquet:"retention_days"`
	IngestID           string            `parquet:"ingest_id,dict"`
	IngestedAt         time.Time         `parquet:"ingested_at,timestamp(millisecond),delta"`
}

// Schema is the Parquet schema of Record.
var Schema = parquet.SchemaOf(new(Record))

// FromRow maps a stored row and its ingested_at to a Record. It is pure.
func FromRow(r *ingest.Row, ingestedAt time.Time) Record {
	return Record{
		Tenant: r.Tenant, Environment: r.Environment, TS: utc(r.TS), Kind: r.Kind,
		EventID: r.EventID, TraceID: r.TraceID, SpanID: r.SpanID, ParentSpanID: r.ParentSpanID, RunID: r.RunID,
		Release: r.Release, DurationMS: r.DurationMS, Status: r.Status, Dataset: r.Dataset, CaseID: r.CaseID,

		Actor: r.Actor, Task: r.Task, Input: r.Input, Output: r.Output, StopReason: r.StopReason,

		Model: r.Model, PromptVersion: r.PromptVersion, InputRef: r.InputRef, OutputStatus: r.OutputStatus,
		InputTokens: r.InputTokens, OutputTokens: r.OutputTokens, CostUSD: r.CostUSD, CostSource: r.CostSource,
		LatencyMS: r.LatencyMS,

		Tool: r.Tool, Args: r.Args, Authorization: r.Authorization, RetryCount: r.RetryCount,
		IdempotencyKey: r.IdempotencyKey, SideEffect: r.SideEffect,

		SourceIDs: r.SourceIDs, FreshnessStale: r.FreshnessStale, FreshnessAgeS: r.FreshnessAgeS,
		AccessDecision: r.AccessDecision, CitationRequired: r.CitationRequired,

		Op: r.Op, ReadIDs: r.ReadIDs, WriteIDs: r.WriteIDs, RetentionClass: r.RetentionClass, PolicyBasis: r.PolicyBasis,

		PolicyVersion: r.PolicyVersion, Decision: r.Decision, ReasonCode: r.ReasonCode, Enforcement: r.Enforcement,

		ApproverRole: r.ApproverRole, Action: r.Action, ExpiresAt: utc(r.ExpiresAt), Result: r.Result,

		Evaluator: r.Evaluator, EvaluatorVersion: r.EvaluatorVersion, Score: r.Score, Threshold: r.Threshold, Passed: r.Passed,

		Attributes: r.Attributes,

		ContractViolations: r.ContractViolations, Redactions: r.Redactions, RedactionCounts: r.RedactionCounts,
		Source: r.Source, StorageRetention: r.StorageRetention, RetentionDays: r.RetentionDays, IngestID: r.IngestID,
		IngestedAt: utc(ingestedAt),
	}
}

// Row maps a Record back to the row it came from (ingested_at aside: the
// store sets it when the row lands). It is pure. A ts at or before the Unix
// epoch (what a file without ts reads as) becomes the zero time, for the
// pipeline to reject; an expires_at there becomes the epoch, the table's
// "none".
func (rec *Record) Row() ingest.Row {
	r := ingest.Row{
		Tenant: rec.Tenant, Environment: rec.Environment, Kind: rec.Kind,
		EventID: rec.EventID, TraceID: rec.TraceID, SpanID: rec.SpanID, ParentSpanID: rec.ParentSpanID, RunID: rec.RunID,
		Release: rec.Release, DurationMS: rec.DurationMS, Status: rec.Status, Dataset: rec.Dataset, CaseID: rec.CaseID,

		Actor: rec.Actor, Task: rec.Task, Input: rec.Input, Output: rec.Output, StopReason: rec.StopReason,

		Model: rec.Model, PromptVersion: rec.PromptVersion, InputRef: rec.InputRef, OutputStatus: rec.OutputStatus,
		InputTokens: rec.InputTokens, OutputTokens: rec.OutputTokens, CostUSD: rec.CostUSD, CostSource: rec.CostSource,
		LatencyMS: rec.LatencyMS,

		Tool: rec.Tool, Args: rec.Args, Authorization: rec.Authorization, RetryCount: rec.RetryCount,
		IdempotencyKey: rec.IdempotencyKey, SideEffect: rec.SideEffect,

		SourceIDs: rec.SourceIDs, FreshnessStale: rec.FreshnessStale, FreshnessAgeS: rec.FreshnessAgeS,
		AccessDecision: rec.AccessDecision, CitationRequired: rec.CitationRequired,

		Op: rec.Op, ReadIDs: rec.ReadIDs, WriteIDs: rec.WriteIDs, RetentionClass: rec.RetentionClass, PolicyBasis: rec.PolicyBasis,

		PolicyVersion: rec.PolicyVersion, Decision: rec.Decision, ReasonCode: rec.ReasonCode, Enforcement: rec.Enforcement,

		ApproverRole: rec.ApproverRole, Action: rec.Action, ExpiresAt: utc(rec.ExpiresAt), Result: rec.Result,

		Evaluator: rec.Evaluator, EvaluatorVersion: rec.EvaluatorVersion, Score: rec.Score, Threshold: rec.Threshold,
		Passed: rec.Passed,

		Attributes: rec.Attributes,

		ContractViolations: rec.ContractViolations, Redactions: rec.Redactions, RedactionCounts: rec.RedactionCounts,
		Source: rec.Source, StorageRetention: rec.StorageRetention, RetentionDays: rec.RetentionDays, IngestID: rec.IngestID,
	}
	if rec.TS.After(epoch) {
		r.TS = rec.TS.UTC()
	}
	if !rec.ExpiresAt.After(epoch) {
		r.ExpiresAt = epoch
	}
	return r
}

// epoch stands for "no time" in the table (expires_at of events that have
// none) and in files.
var epoch = time.Unix(0, 0).UTC()

// utc returns t in UTC, and the zero time as the epoch.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return epoch
	}
	return t.UTC()
}
