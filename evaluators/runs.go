package evaluators

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
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

// eventRow is what a run's events are read as.
type eventRow struct {
	Tenant, Environment, Release, RunID, TraceID, SpanID, Kind string
	TS                                                         time.Time
	DurationMS                                                 float64
	Status, Dataset, CaseID                                    string
	Actor, Task, Input, Output, StopReason                     string
	Model, PromptVersion, InputRef, OutputStatus               string
	InputTokens, OutputTokens                                  uint64
	CostUSD, LatencyMS                                         float64
	Tool, Args, Authorization                                  string
	RetryCount                                                 uint32
	IdempotencyKey, SideEffect                                 string
	SourceIDs                                                  []string
	FreshnessStale                                             bool
	FreshnessAgeS                                              float64
	AccessDecision                                             string
	CitationRequired                                           bool
	Op                                                         string
	ReadIDs, WriteIDs                                          []string
	RetentionClass, PolicyBasis                                string
	PolicyVersion, Decision, ReasonCode, Enforcement           string
	ApproverRole, Action                                       string
	ExpiresAt                                                  time.Time
	Result, Evaluator, EvaluatorVersion                        string
	Score, Threshold                                           float64
	Passed                                                     bool
}

const eventColumns = `tenant, environment, release, run_id, trace_id, span_id, kind, ts, duration_ms, status, dataset, case_id,
	actor, task, input, output, stop_reason, model, prompt_version, input_ref, output_status, input_tokens, output_tokens,
	cost_usd, latency_ms, tool, args, authorization, retry_count, idempotency_key, side_effect, source_ids,
	freshness_stale, freshness_age_s, access_decision, citation_required, op, read_ids, write_ids, retention_class,
	policy_basis, policy_version, decision, reason_code, enforcement, approver_role, action, expires_at, result,
	evaluator, evaluator_version, score, threshold, passed`

func (r *eventRow) dest() []any {
	return []any{&r.Tenant, &r.Environment, &r.Release, &r.RunID, &r.TraceID, &r.SpanID, &r.Kind, &r.TS, &r.DurationMS,
		&r.Status, &r.Dataset, &r.CaseID, &r.Actor, &r.Task, &r.Input, &r.Output, &r.StopReason, &r.Model,
		&r.PromptVersion, &r.InputRef, &r.OutputStatus, &r.InputTokens, &r.OutputTokens, &r.CostUSD, &r.LatencyMS,
		&r.Tool, &r.Args, &r.Authorization, &r.RetryCount, &r.IdempotencyKey, &r.SideEffect, &r.SourceIDs,
		&r.FreshnessStale, &r.FreshnessAgeS, &r.AccessDecision, &r.CitationRequired, &r.Op, &r.ReadIDs, &r.WriteIDs,
		&r.RetentionClass, &r.PolicyBasis, &r.PolicyVersion, &r.Decision, &r.ReasonCode, &r.Enforcement,
		&r.ApproverRole, &r.Action, &r.ExpiresAt, &r.Result, &r.Evaluator, &r.EvaluatorVersion, &r.Score,
		&r.Threshold, &r.Passed}
}

// ForEachRun streams the runs the filter selects, each assembled into an
// Env (Case left empty: the caller knows the dataset), in (tenant, run)
// order. A run is selected by its run event; every event of the run is
// loaded, whatever it carries.
func ForEachRun(ctx context.Context, conn driver.Conn, f RunFilter, fn func(RunMeta, *Env) error) error {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	where = append(where, "kind = 'run'")
	if f.Dataset != "" {
		add("dataset = ?", f.Dataset)
	}
	if f.Release != "" {
		add("release = ?", f.Release)
	}
	if f.Environment != "" {
		add("environment = ?", f.Environment)
	}
	if f.Tenant != "" {
		add("tenant = ?", f.Tenant)
	}
	if !f.Since.IsZero() {
		add("ts >= ?", f.Since.UTC())
	}
	q := "SELECT " + eventColumns + " FROM agent_events FINAL WHERE (tenant, run_id) IN (SELECT tenant, run_id FROM agent_events WHERE " +
		strings.Join(where, " AND ") + ") ORDER BY tenant, run_id, ts, span_id"
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("evaluators: load runs: %w", err)
	}
	defer rows.Close()
	var (
		cur  *Env
		meta RunMeta
		key  string
	)
	for rows.Next() {
		var r eventRow
		if err := rows.Scan(r.dest()...); err != nil {
			return fmt.Errorf("evaluators: load runs: %w", err)
		}
		if k := r.Tenant + "\x00" + r.RunID; k != key {
			if cur != nil {
				if err := fn(meta, cur); err != nil {
					return err
				}
			}
			key, cur = k, &Env{}
			meta = RunMeta{Tenant: r.Tenant, RunID: r.RunID}
		}
		addEvent(cur, &meta, &r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("evaluators: load runs: %w", err)
	}
	if cur != nil {
		return fn(meta, cur)
	}
	return nil
}

// addEvent folds one event into its run's Env.
func addEvent(e *Env, m *RunMeta, r *eventRow) {
	switch r.Kind {
	case "run":
		e.Run = Run{ID: r.RunID, TraceID: r.TraceID, Status: r.Status, StopReason: r.StopReason, Input: r.Input,
			Output: r.Output, DurationMS: r.DurationMS, Release: r.Release, Environment: r.Environment,
			Tenant: r.Tenant, Actor: r.Actor, Task: r.Task, Dataset: r.Dataset,
			CostUSD: e.Run.CostUSD, InputTokens: e.Run.InputTokens, OutputTokens: e.Run.OutputTokens}
		m.Environment, m.Release, m.TraceID, m.Dataset, m.CaseID, m.Started = r.Environment, r.Release, r.TraceID, r.Dataset, r.CaseID, r.TS
	case "model":
		e.ModelCalls = append(e.ModelCalls, ModelCall{SpanID: r.SpanID, Status: r.Status, DurationMS: r.DurationMS,
			Model: r.Model, PromptVersion: r.PromptVersion, InputRef: r.InputRef, OutputStatus: r.OutputStatus,
			InputTokens: int64(r.InputTokens), OutputTokens: int64(r.OutputTokens), CostUSD: r.CostUSD, LatencyMS: r.LatencyMS})
		e.Run.CostUSD += r.CostUSD
		e.Run.InputTokens += int64(r.InputTokens)
		e.Run.OutputTokens += int64(r.OutputTokens)
	case "tool":
		e.ToolCalls = append(e.ToolCalls, ToolCall{SpanID: r.SpanID, Status: r.Status, DurationMS: r.DurationMS,
			Tool: r.Tool, Args: jsonOrString(r.Args), Authorization: r.Authorization, RetryCount: int64(r.RetryCount),
			IdempotencyKey: r.IdempotencyKey, SideEffect: r.SideEffect})
	case "retrieval":
		e.Retrievals = append(e.Retrievals, Retrieval{SpanID: r.SpanID, Status: r.Status, DurationMS: r.DurationMS,
			SourceIDs: r.SourceIDs, Freshness: Freshness{Stale: r.FreshnessStale, AgeS: r.FreshnessAgeS},
			AccessDecision: r.AccessDecision, CitationRequired: r.CitationRequired})
	case "memory":
		e.MemoryOps = append(e.MemoryOps, MemoryOp{SpanID: r.SpanID, Status: r.Status, DurationMS: r.DurationMS,
			Op: r.Op, ReadIDs: r.ReadIDs, WriteIDs: r.WriteIDs, RetentionClass: r.RetentionClass, PolicyBasis: r.PolicyBasis})
	case "policy":
		e.PolicyDecisions = append(e.PolicyDecisions, PolicyDecision{SpanID: r.SpanID, Status: r.Status,
			DurationMS: r.DurationMS, PolicyVersion: r.PolicyVersion, Decision: r.Decision, ReasonCode: r.ReasonCode,
			Enforcement: r.Enforcement})
	case "approval":
		e.Approvals = append(e.Approvals, Approval{SpanID: r.SpanID, Status: r.Status, DurationMS: r.DurationMS,
			ApproverRole: r.ApproverRole, Action: r.Action, ExpiresAt: r.ExpiresAt, Result: r.Result})
	case "eval":
		e.Evals = append(e.Evals, EvalResult{SpanID: r.SpanID, Status: r.Status, CaseID: r.CaseID,
			Evaluator: r.Evaluator, EvaluatorVersion: r.EvaluatorVersion, Score: r.Score, Threshold: r.Threshold, Passed: r.Passed})
	}
	if m.CaseID == "" && r.CaseID != "" && r.Kind != "eval" {
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
