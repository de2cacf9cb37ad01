package ingest

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// ToRow maps a decoded, redacted event to its row. It is pure: the caller
// has already filled cost, retention and bookkeeping fields it wants.
func ToRow(ev *envelope.Event) events.Row {
	r := events.Row{
		Tenant: ev.Tenant, Environment: ev.Environment, TS: ev.TS.UTC(), Kind: ev.Kind,
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
