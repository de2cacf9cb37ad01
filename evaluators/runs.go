package evaluators

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// RunFilter selects the runs to score. Set Dataset and Release for dataset
// runs, or Environment and Since for production runs.
type RunFilter struct {
	Dataset     string    // "name@vN": runs that executed this dataset version
	Release     string    // only this release ("" for any)
	Environment string    // only this environment ("" for any)
	Tenant      string    // only this tenant ("" for any)
	Since       time.Time // runs started at or after (zero for any)
}

// RunMeta identifies a loaded run.
type RunMeta struct {
	Tenant, Environment, Release, RunID, TraceID, Dataset, CaseID string
	Started                                                       time.Time
}

// ForEachRun streams the runs the filter selects, each assembled into an
// Env (Case left empty: the caller knows the dataset), in (tenant, run)
// order. A run is selected by its run event; every event of the run is
// loaded, whatever it carries.
func ForEachRun(ctx context.Context, conn driver.Conn, f RunFilter, fn func(RunMeta, *Env) error) error {
	// fn's errors come back as they are; the reader's name the read.
	return events.ForEachRun(ctx, conn, events.RunFilter(f), func(run []events.Row) error {
		env := &Env{}
		meta := RunMeta{Tenant: run[0].Tenant, RunID: run[0].RunID}
		for i := range run {
			addEvent(env, &meta, &run[i])
		}
		return fn(meta, env)
	})
}

// addEvent folds one event into its run's Env.
func addEvent(e *Env, m *RunMeta, r *events.Row) {
	switch r.Kind {
	case envelope.KindRun:
		e.Run = Run{ID: r.RunID, TraceID: r.TraceID, Status: r.Status, StopReason: r.StopReason, Input: r.Input,
			Output: r.Output, DurationMS: r.DurationMS, Release: r.Release, Environment: r.Environment,
			Tenant: r.Tenant, Actor: r.Actor, Task: r.Task, Dataset: r.Dataset,
			CostUSD: e.Run.CostUSD, InputTokens: e.Run.InputTokens, OutputTokens: e.Run.OutputTokens}
		m.Environment, m.Release, m.TraceID, m.Dataset, m.CaseID, m.Started = r.Environment, r.Release, r.TraceID, r.Dataset, r.CaseID, r.TS
	case envelope.KindModel:
		e.ModelCalls = append(e.ModelCalls, ModelCall{SpanID: r.SpanID, Status: r.Status, DurationMS: r.DurationMS,
			Model: r.Model, PromptVersion: r.PromptVersion, InputRef: r.InputRef, OutputStatus: r.OutputStatus,
			InputTokens: int64(r.InputTokens), OutputTokens: int64(r.OutputTokens), CostUSD: r.CostUSD, LatencyMS: r.LatencyMS})
		e.Run.CostUSD += r.CostUSD
		e.Run.InputTokens += int64(r.InputTokens)
		e.Run.OutputTokens += int64(r.OutputTokens)
	case envelope.KindTool:
		e.ToolCalls = append(e.ToolCalls, ToolCall{SpanID: r.SpanID, Status: r.Status, DurationMS: r.DurationMS,
			Tool: r.Tool, Args: jsonOrString(r.Args), Authorization: r.Authorization, RetryCount: int64(r.RetryCount),
			IdempotencyKey: r.IdempotencyKey, SideEffect: r.SideEffect})
	case envelope.KindRetrieval:
		e.Retrievals = append(e.Retrievals, Retrieval{SpanID: r.SpanID, Status: r.Status, DurationMS: r.DurationMS,
			SourceIDs: r.SourceIDs, Freshness: Freshness{Stale: r.FreshnessStale, AgeS: r.FreshnessAgeS},
			AccessDecision: r.AccessDecision, CitationRequired: r.CitationRequired})
	case envelope.KindMemory:
		e.MemoryOps = append(e.MemoryOps, MemoryOp{SpanID: r.SpanID, Status: r.Status, DurationMS: r.DurationMS,
			Op: r.Op, ReadIDs: r.ReadIDs, WriteIDs: r.WriteIDs, RetentionClass: r.RetentionClass, PolicyBasis: r.PolicyBasis})
	case envelope.KindPolicy:
		e.PolicyDecisions = append(e.PolicyDecisions, PolicyDecision{SpanID: r.SpanID, Status: r.Status,
			DurationMS: r.DurationMS, PolicyVersion: r.PolicyVersion, Decision: r.Decision, ReasonCode: r.ReasonCode,
			Enforcement: r.Enforcement})
	case envelope.KindApproval:
		e.Approvals = append(e.Approvals, Approval{SpanID: r.SpanID, Status: r.Status, DurationMS: r.DurationMS,
			ApproverRole: r.ApproverRole, Action: r.Action, ExpiresAt: r.ExpiresAt, Result: r.Result})
	case envelope.KindEval:
		e.Evals = append(e.Evals, EvalResult{SpanID: r.SpanID, Status: r.Status, CaseID: r.CaseID,
			Evaluator: r.Evaluator, EvaluatorVersion: r.EvaluatorVersion, Score: r.Score, Threshold: r.Threshold, Passed: r.Passed})
	}
	if m.CaseID == "" && r.CaseID != "" && r.Kind != envelope.KindEval {
		m.CaseID = r.CaseID
	}
}

// jsonOrString decodes a stored free-form value: JSON objects and arrays
// become maps and slices, anything else stays the text it was.
func jsonOrString(s string) any {
	t := strings.TrimSpace(s)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		var v any
		if json.Unmarshal([]byte(t), &v) == nil {
			return v
		}
	}
	return s
}
