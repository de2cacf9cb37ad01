package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ErrNotFound means a reader found no row where one was asked for.
var ErrNotFound = errors.New("events: not found")

// RunFilter selects runs by their run event. Set Dataset and Release for
// dataset runs, or Environment and Since for production runs; "" (or zero)
// means any.
type RunFilter struct {
	Dataset     string // "name@vN": runs that executed this dataset version
	Release     string
	Environment string
	Tenant      string
	Since       time.Time // runs started at or after
}

// runColumns are what a run is scored on: every column but bookkeeping
// (the event's own ids, ingest records, attributes).
var runColumns = scanOf(slicesWithout(Columns, "event_id", "parent_span_id", "cost_source", "attributes", "contract_violations",
	"redactions", "redaction_counts", "source", "storage_retention", "retention_days", "ingest_id", "content_hash", "ingested_at")...)

// ForEachRun streams the runs the filter selects in (tenant, run_id)
// order, calling fn with each run's events in (ts, span_id) order. The
// events hold the columns a rule can read (runColumns); fn owns the slice.
func ForEachRun(ctx context.Context, conn driver.Conn, f RunFilter, fn func(run []Row) error) error {
	q := stmts.Render("run_events", struct {
		RunFilter
		Columns  string
		HasSince bool
	}{f, strings.Join(runColumns.names(), ", "), !f.Since.IsZero()})
	rows, err := conn.Query(ctx, q, clickhouse.Named("dataset", f.Dataset), clickhouse.Named("release", f.Release),
		clickhouse.Named("environment", f.Environment), clickhouse.Named("tenant", f.Tenant),
		clickhouse.Named("since", f.Since.UnixMicro()))
	if err != nil {
		return fmt.Errorf("events: load runs: %w", err)
	}
	defer rows.Close()
	var (
		run []Row
		buf []any
	)
	for rows.Next() {
		var r Row
		buf = runColumns.dest(&r, buf)
		if err := rows.Scan(buf...); err != nil {
			return fmt.Errorf("events: load runs: %w", err)
		}
		if len(run) > 0 && (run[0].Tenant != r.Tenant || run[0].RunID != r.RunID) {
			if err := fn(run); err != nil {
				return err
			}
			run = nil
		}
		run = append(run, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("events: load runs: %w", err)
	}
	if len(run) > 0 {
		return fn(run)
	}
	return nil
}

// Selection picks the events a summary or a metric reads. Every field is
// optional: Tenant keeps one tenant's events; Dataset ("name@vN") with
// Release keeps the events of that release's runs on that version.
type Selection struct {
	Tenant, Dataset, Release string
}

func (s Selection) args() []any {
	return []any{clickhouse.Named("tenant", s.Tenant), clickhouse.Named("dataset", s.Dataset), clickhouse.Named("release", s.Release)}
}

// RunMetrics are run-level measures of the selected runs.
type RunMetrics struct {
	Runs                                     uint64
	CostP95, CostMean, LatencyP95, ErrorRate float64
	ContractViolations                       uint64
}

// ReadRunMetrics measures the selected runs.
func ReadRunMetrics(ctx context.Context, conn driver.Conn, s Selection) (RunMetrics, error) {
	var m RunMetrics
	err := conn.QueryRow(ctx, stmts.Render("run_metrics", s), s.args()...).
		Scan(&m.Runs, &m.CostP95, &m.CostMean, &m.LatencyP95, &m.ErrorRate, &m.ContractViolations)
	if err != nil {
		return m, fmt.Errorf("events: run metrics: %w", err)
	}
	return m, nil
}

// ContractGap counts events of a kind that miss (or misstate) a field.
type ContractGap struct {
	Kind   string `json:"kind" ch:"kind"`
	Field  string `json:"field" ch:"field"`
	Events uint64 `json:"events" ch:"events"`
}

// ReleaseRuns counts runs per release.
type ReleaseRuns struct {
	Release     string  `json:"release" ch:"release"`
	Runs        uint64  `json:"runs" ch:"runs"`
	FailedRuns  uint64  `json:"failed_runs" ch:"failed_runs"`
	Events      uint64  `json:"events" ch:"events"`
	CostUSD     float64 `json:"cost_usd" ch:"cost_usd"`
	TotalTokens uint64  `json:"total_tokens" ch:"total_tokens"`
}

// ModelUsage is model calls, tokens and cost per model.
type ModelUsage struct {
	Model        string  `json:"model" ch:"model"`
	Calls        uint64  `json:"calls" ch:"calls"`
	InputTokens  uint64  `json:"input_tokens" ch:"input_tokens"`
	OutputTokens uint64  `json:"output_tokens" ch:"output_tokens"`
	CostUSD      float64 `json:"cost_usd" ch:"cost_usd"`
}

// PolicyDecisions counts policy decisions per decision and reason code.
type PolicyDecisions struct {
	Decision   string `json:"decision" ch:"decision"`
	ReasonCode string `json:"reason_code" ch:"reason_code"`
	Count      uint64 `json:"count" ch:"count"`
}

// Redactions counts secrets replaced by markers, per type.
type Redactions struct {
	Type  string `json:"type" ch:"type"`
	Count uint64 `json:"count" ch:"count"`
}

// ContractGaps reads the selected events' trace-contract violations, most
// frequent first.
func ContractGaps(ctx context.Context, conn driver.Conn, s Selection) ([]ContractGap, error) {
	return selectAll[ContractGap](ctx, conn, "contract_gaps", s, "contract violations")
}

// ReleaseRunCounts reads runs, events, cost and tokens per release.
func ReleaseRunCounts(ctx context.Context, conn driver.Conn, s Selection) ([]ReleaseRuns, error) {
	return selectAll[ReleaseRuns](ctx, conn, "release_runs", s, "runs by release")
}

// ModelUsages reads model calls, tokens and cost per model, costliest first.
func ModelUsages(ctx context.Context, conn driver.Conn, s Selection) ([]ModelUsage, error) {
	return selectAll[ModelUsage](ctx, conn, "model_usage", s, "model usage")
}

// PolicyDecisionCounts reads policy decisions per decision and reason code.
func PolicyDecisionCounts(ctx context.Context, conn driver.Conn, s Selection) ([]PolicyDecisions, error) {
	return selectAll[PolicyDecisions](ctx, conn, "policy_decisions", s, "policy decisions")
}

// RedactionCounts reads redactions per type, most frequent first.
func RedactionCounts(ctx context.Context, conn driver.Conn, s Selection) ([]Redactions, error) {
	return selectAll[Redactions](ctx, conn, "redactions", s, "redactions")
}

func selectAll[T any](ctx context.Context, conn driver.Conn, stmt string, s Selection, what string) ([]T, error) {
	var out []T
	if err := conn.Select(ctx, &out, stmts.Render(stmt, s), s.args()...); err != nil {
		return nil, fmt.Errorf("events: %s: %w", what, err)
	}
	return out, nil
}

// TraceEventCount counts a trace's events.
func TraceEventCount(ctx context.Context, conn driver.Conn, traceID string) (uint64, error) {
	var n uint64
	if err := conn.QueryRow(ctx, stmts.Get("trace_count"), clickhouse.Named("trace_id", traceID)).Scan(&n); err != nil {
		return 0, fmt.Errorf("events: trace %s: %w", traceID, err)
	}
	return n, nil
}

// traceColumns are what a trace is read with: all but ingest bookkeeping.
var traceColumns = scanOf(slicesWithout(Columns, "redaction_counts", "source", "storage_retention", "retention_days", "ingest_id", "content_hash", "ingested_at")...)

// TraceRun reads a trace's first run event (ErrNotFound when it has none).
func TraceRun(ctx context.Context, conn driver.Conn, traceID string) (Row, error) {
	rows, err := readRows(ctx, conn, "trace_run", traceID)
	if err != nil {
		return Row{}, err
	}
	if len(rows) == 0 {
		return Row{}, fmt.Errorf("%w: trace %s has no run event", ErrNotFound, traceID)
	}
	return rows[0], nil
}

// TraceEvents reads a trace's events in (ts, span_id) order.
func TraceEvents(ctx context.Context, conn driver.Conn, traceID string) ([]Row, error) {
	return readRows(ctx, conn, "trace_events", traceID)
}

func readRows(ctx context.Context, conn driver.Conn, stmt, traceID string) ([]Row, error) {
	q := stmts.Render(stmt, struct{ Columns string }{strings.Join(traceColumns.names(), ", ")})
	rows, err := conn.Query(ctx, q, clickhouse.Named("trace_id", traceID))
	if err != nil {
		return nil, fmt.Errorf("events: trace %s: %w", traceID, err)
	}
	defer rows.Close()
	var out []Row
	var buf []any
	for rows.Next() {
		out = append(out, Row{})
		buf = traceColumns.dest(&out[len(out)-1], buf)
		if err := rows.Scan(buf...); err != nil {
			return nil, fmt.Errorf("events: trace %s: %w", traceID, err)
		}
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("events: trace %s: %w", traceID, err)
	}
	return out, nil
}

func slicesWithout(all []string, drop ...string) []string {
	var out []string
	for _, c := range all {
		keep := true
		for _, d := range drop {
			keep = keep && c != d
		}
		if keep {
			out = append(out, c)
		}
	}
	return out
}
