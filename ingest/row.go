package ingest

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// Row is one agent_events row. Field order is the column order of
// EventColumns; TestRowMatchesSchema keeps the two and the migration in step.
type Row struct {
	Tenant, Environment string
	TS                  time.Time
	Kind                string
	EventID             string
	TraceID             string
	SpanID              string
	ParentSpanID        string
	RunID               string
	Release             string
	DurationMS          float64
	Status              string
	Dataset             string
	CaseID              string

	Actor, Task, Input, Output, StopReason string

	Model, PromptVersion, InputRef, OutputStatus string
	InputTokens, OutputTokens                    uint64
	CostUSD                                      float64
	CostSource                                   string
	LatencyMS                                    float64

	Tool, Args, Authorization string
	RetryCount                uint32
	IdempotencyKey            string
	SideEffect                string

	SourceIDs        []string
	FreshnessStale   bool
	FreshnessAgeS    float64
	AccessDecision   string
	CitationRequired bool

	Op                          string
	ReadIDs, WriteIDs           []string
	RetentionClass, PolicyBasis string

	PolicyVersion, Decision, ReasonCode, Enforcement string

	ApproverRole, Action string
	ExpiresAt            time.Time
	Result               string

	Evaluator, EvaluatorVersion string
	Score, Threshold            float64
	Passed                      bool

	Attributes string

	ContractViolations []string
	Redactions         uint32
	RedactionCounts    map[string]uint32
	Source             string
	StorageRetention   string
	RetentionDays      uint16
	IngestID           string
}

// EventColumns are agent_events' columns in Row order (ingested_at is
// filled by the table's default).
var EventColumns = []string{
	"tenant", "environment", "ts", "kind", "event_id", "trace_id", "span_id", "parent_span_id", "run_id",
	"release", "duration_ms", "status", "dataset", "case_id",
	"actor", "task", "input", "output", "stop_reason",
	"model", "prompt_version", "input_ref", "output_status", "input_tokens", "output_tokens", "cost_usd", "cost_source", "latency_ms",
	"tool", "args", "authorization", "retry_count", "idempotency_key", "side_effect",
	"source_ids", "freshness_stale", "freshness_age_s", "access_decision", "citation_required",
	"op", "read_ids", "write_ids", "retention_class", "policy_basis",
	"policy_version", "decision", "reason_code", "enforcement",
	"approver_role", "action", "expires_at", "result",
	"evaluator", "evaluator_version", "score", "threshold", "passed",
	"attributes",
	"contract_violations", "redactions", "redaction_counts", "source", "storage_retention", "retention_days", "ingest_id",
}

// columns returns the rows' values column by column, in EventColumns
// order, typed as clickhouse-go appends them whole (far cheaper than
// appending row by row).
func columns(rows []*Row) []any {
	n := len(rows)
	strs := func(f func(*Row) string) []string {
		out := make([]string, n)
		for i, r := range rows {
			out[i] = f(r)
		}
		return out
	}
	f64s := func(f func(*Row) float64) []float64 {
		out := make([]float64, n)
		for i, r := range rows {
			out[i] = f(r)
		}
		return out
	}
	bools := func(f func(*Row) bool) []bool {
		out := make([]bool, n)
		for i, r := range rows {
			out[i] = f(r)
		}
		return out
	}
	times := func(f func(*Row) time.Time) []time.Time {
		out := make([]time.Time, n)
		for i, r := range rows {
			out[i] = f(r)
		}
		return out
	}
	lists := func(f func(*Row) []string) [][]string {
		out := make([][]string, n)
		for i, r := range rows {
			out[i] = nonNil(f(r))
		}
		return out
	}
	u64s := func(f func(*Row) uint64) []uint64 {
		out := make([]uint64, n)
		for i, r := range rows {
			out[i] = f(r)
		}
		return out
	}
	redactions, counts := make([]uint32, n), make([]map[string]uint32, n)
	retries, days := make([]uint32, n), make([]uint16, n)
	for i, r := range rows {
		redactions[i], counts[i] = r.Redactions, nonNilMap(r.RedactionCounts)
		retries[i], days[i] = r.RetryCount, r.RetentionDays
	}
	return []any{
		strs(func(r *Row) string { return r.Tenant }), strs(func(r *Row) string { return r.Environment }),
		times(func(r *Row) time.Time { return r.TS }), strs(func(r *Row) string { return r.Kind }),
		strs(func(r *Row) string { return r.EventID }), strs(func(r *Row) string { return r.TraceID }),
		strs(func(r *Row) string { return r.SpanID }), strs(func(r *Row) string { return r.ParentSpanID }),
		strs(func(r *Row) string { return r.RunID }), strs(func(r *Row) string { return r.Release }),
		f64s(func(r *Row) float64 { return r.DurationMS }), strs(func(r *Row) string { return r.Status }),
		strs(func(r *Row) string { return r.Dataset }), strs(func(r *Row) string { return r.CaseID }),
		strs(func(r *Row) string { return r.Actor }), strs(func(r *Row) string { return r.Task }),
		strs(func(r *Row) string { return r.Input }), strs(func(r *Row) string { return r.Output }),
		strs(func(r *Row) string { return r.StopReason }),
		strs(func(r *Row) string { return r.Model }), strs(func(r *Row) string { return r.PromptVersion }),
		strs(func(r *Row) string { return r.InputRef }), strs(func(r *Row) string { return r.OutputStatus }),
		u64s(func(r *Row) uint64 { return r.InputTokens }), u64s(func(r *Row) uint64 { return r.OutputTokens }),
		f64s(func(r *Row) float64 { return r.CostUSD }), strs(func(r *Row) string { return r.CostSource }),
		f64s(func(r *Row) float64 { return r.LatencyMS }),
		strs(func(r *Row) string { return r.Tool }), strs(func(r *Row) string { return r.Args }),
		strs(func(r *Row) string { return r.Authorization }), retries,
		strs(func(r *Row) string { return r.IdempotencyKey }), strs(func(r *Row) string { return r.SideEffect }),
		lists(func(r *Row) []string { return r.SourceIDs }), bools(func(r *Row) bool { return r.FreshnessStale }),
		f64s(func(r *Row) float64 { return r.FreshnessAgeS }), strs(func(r *Row) string { return r.AccessDecision }),
		bools(func(r *Row) bool { return r.CitationRequired }),
		strs(func(r *Row) string { return r.Op }), lists(func(r *Row) []string { return r.ReadIDs }),
		lists(func(r *Row) []string { return r.WriteIDs }), strs(func(r *Row) string { return r.RetentionClass }),
		strs(func(r *Row) string { return r.PolicyBasis }),
		strs(func(r *Row) string { return r.PolicyVersion }), strs(func(r *Row) string { return r.Decision }),
		strs(func(r *Row) string { return r.ReasonCode }), strs(func(r *Row) string { return r.Enforcement }),
		strs(func(r *Row) string { return r.ApproverRole }), strs(func(r *Row) string { return r.Action }),
		times(func(r *Row) time.Time { return r.ExpiresAt }), strs(func(r *Row) string { return r.Result }),
		strs(func(r *Row) string { return r.Evaluator }), strs(func(r *Row) string { return r.EvaluatorVersion }),
		f64s(func(r *Row) float64 { return r.Score }), f64s(func(r *Row) float64 { return r.Threshold }),
		bools(func(r *Row) bool { return r.Passed }),
		strs(func(r *Row) string { return r.Attributes }),
		lists(func(r *Row) []string { return r.ContractViolations }), redactions, counts,
		strs(func(r *Row) string { return r.Source }), strs(func(r *Row) string { return r.StorageRetention }),
		days, strs(func(r *Row) string { return r.IngestID }),
	}
}

func nonNilMap(m map[string]uint32) map[string]uint32 {
	if m == nil {
		return map[string]uint32{}
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ToRow maps a decoded, redacted event to its row. It is pure: the caller
// has already filled cost, retention and bookkeeping fields it wants.
func ToRow(ev *envelope.Event) Row {
	r := Row{
		Tenant: ev.Tenant, Environment: ev.Environment, TS: ev.TS.UTC(), Kind: string(ev.Kind),
		EventID: ev.EventID, TraceID: ev.TraceID, SpanID: ev.SpanID, ParentSpanID: ev.ParentSpanID, RunID: ev.RunID,
		Release: ev.Release, DurationMS: f64(ev.DurationMS), Status: ev.Status, Dataset: ev.Dataset, CaseID: ev.CaseID,

		Actor: ev.Actor, Task: ev.Task, Input: text(ev.Input), Output: text(ev.Output), StopReason: ev.StopReason,

		Model: ev.Model, PromptVersion: ev.PromptVersion, InputRef: ev.InputRef, OutputStatus: ev.OutputStatus,
		InputTokens: u64(ev.InputTokens), OutputTokens: u64(ev.OutputTokens), CostUSD: f64(ev.CostUSD), LatencyMS: f64(ev.LatencyMS),

		Tool: ev.Tool, Args: text(ev.Args), Authorization: ev.Authorization, RetryCount: uint32(u64(ev.RetryCount)),
		IdempotencyKey: ev.IdempotencyKey, SideEffect: ev.SideEffect,

		SourceIDs: ev.SourceIDs, AccessDecision: ev.AccessDecision,

		Op: ev.Op, ReadIDs: ev.ReadIDs, WriteIDs: ev.WriteIDs, RetentionClass: ev.RetentionClass, PolicyBasis: ev.PolicyBasis,

		PolicyVersion: ev.PolicyVersion, Decision: ev.Decision, ReasonCode: ev.ReasonCode, Enforcement: ev.Enforcement,

		ApproverRole: ev.ApproverRole, Action: ev.Action, Result: ev.Result,

		Evaluator: ev.Evaluator, EvaluatorVersion: ev.EvaluatorVersion, Score: f64(ev.Score), Threshold: f64(ev.Threshold),
	}
	if ev.CostUSD != nil {
		r.CostSource = "reported"
	}
	if ev.Freshness != nil {
		r.FreshnessStale, r.FreshnessAgeS = ev.Freshness.Stale, ev.Freshness.AgeS
	}
	if ev.CitationRequired != nil {
		r.CitationRequired = *ev.CitationRequired
	}
	if ev.ExpiresAt != nil {
		r.ExpiresAt = ev.ExpiresAt.UTC()
	} else {
		r.ExpiresAt = time.Unix(0, 0).UTC()
	}
	if ev.Passed != nil {
		r.Passed = *ev.Passed
	}
	if len(ev.Attributes) > 0 {
		r.Attributes = text(ev.Attributes)
	}
	return r
}

// text stores a free-form value: strings as they are, anything else as
// JSON, absent as "".
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "&", "<", ">" as sent: rules match on this text
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func f64(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func u64(p *int64) uint64 {
	if p == nil || *p < 0 {
		return 0
	}
	return uint64(*p)
}
