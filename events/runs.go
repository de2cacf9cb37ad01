package events

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// RunKey names one run: run ids are unique within a tenant.
type RunKey struct {
	Tenant string `json:"tenant"`
	RunID  string `json:"run_id"`
}

// RunQuery selects runs for a responder's list. Every field is optional
// ("" or zero: any). A run is selected by its run event: Status, Since and
// Until are its run event's; Policy keeps runs with at least one policy
// event of that decision.
type RunQuery struct {
	Tenant      string
	Environment string
	Release     string
	Status      string    // the run event's status: ok or error
	Since       time.Time // runs started at or after
	Until       time.Time // runs started before
	Policy      string    // a decision: allow, deny or require_approval
	// Runs, when not nil, keeps only these runs (an empty list selects
	// none), as another owner's reader found them (failing a rule).
	Runs []RunKey
	// Limit is the most runs returned, newest first; 0 for all.
	Limit int
	// Exact reads with FINAL: exact even while concurrent writers'
	// duplicates await a merge, at a cost.
	Exact bool
}

// RunSummary is one run as a list shows it: its run event's context and
// outcome, and what all its events add up to.
type RunSummary struct {
	Tenant      string    `json:"tenant" ch:"tenant"`
	RunID       string    `json:"run_id" ch:"run_id"`
	TraceID     string    `json:"trace_id" ch:"trace_id"`
	Environment string    `json:"environment" ch:"environment"`
	Release     string    `json:"release" ch:"release"`
	Dataset     string    `json:"dataset" ch:"dataset"` // "name@vN"; "" for a production run
	CaseID      string    `json:"case_id" ch:"case_id"`
	Actor       string    `json:"actor" ch:"actor"`
	Task        string    `json:"task" ch:"task"`
	Status      string    `json:"status" ch:"status"` // the run event's: ok or error
	StopReason  string    `json:"stop_reason" ch:"stop_reason"`
	Started     time.Time `json:"started" ch:"started"`         // the run event's ts
	DurationMS  float64   `json:"duration_ms" ch:"duration_ms"` // the run event's
	Events      uint64    `json:"events" ch:"events"`
	ModelCalls  uint64    `json:"model_calls" ch:"model_calls"`
	ToolCalls   uint64    `json:"tool_calls" ch:"tool_calls"`
	// ErrorEvents counts the run's other events whose status is error.
	ErrorEvents  uint64  `json:"error_events" ch:"error_events"`
	InputTokens  uint64  `json:"input_tokens" ch:"input_tokens"`   // of its model calls
	OutputTokens uint64  `json:"output_tokens" ch:"output_tokens"` // of its model calls
	CostUSD      float64 `json:"cost_usd" ch:"cost_usd"`           // of its model calls
	// Policy counts the run's policy decisions by decision.
	Policy             map[string]uint64 `json:"policy" ch:"policy"`
	ContractViolations uint64            `json:"contract_violations" ch:"contract_violations"`
	Redactions         uint64            `json:"redactions" ch:"redactions"`
}

// Key is the run's key.
func (r RunSummary) Key() RunKey { return RunKey{r.Tenant, r.RunID} }

// ListRuns reads the runs q selects, newest first.
func ListRuns(ctx context.Context, conn driver.Conn, q RunQuery) ([]RunSummary, error) {
	if q.Runs != nil && len(q.Runs) == 0 {
		return nil, nil
	}
	tenants, ids := make([]string, len(q.Runs)), make([]string, len(q.Runs))
	for i, k := range q.Runs {
		tenants[i], ids[i] = k.Tenant, k.RunID
	}
	stmt := stmts.Render("list_runs", struct {
		RunQuery
		HasSince, HasUntil, HasRuns bool
	}{q, !q.Since.IsZero(), !q.Until.IsZero(), q.Runs != nil})
	var out []RunSummary
	err := conn.Select(ctx, &out, stmt, clickhouse.Named("tenant", q.Tenant), clickhouse.Named("environment", q.Environment),
		clickhouse.Named("release", q.Release), clickhouse.Named("status", q.Status), clickhouse.Named("policy", q.Policy),
		clickhouse.Named("since", q.Since.UnixMicro()), clickhouse.Named("until", q.Until.UnixMicro()),
		clickhouse.Named("run_tenants", tenants), clickhouse.Named("run_ids", ids), clickhouse.Named("limit", q.Limit))
	if err != nil {
		return nil, fmt.Errorf("events: list runs: %w", err)
	}
	return out, nil
}

// RunRef is a run an id names, with its trace.
type RunRef struct {
	Tenant  string `ch:"tenant"`
	RunID   string `ch:"run_id"`
	TraceID string `ch:"trace_id"`
}

// FindRuns reads the runs (at most 20) whose run id or trace id is id, in
// tenant ("" for any), by (tenant, run id). It returns none, not an error,
// for an id the store does not hold.
func FindRuns(ctx context.Context, conn driver.Conn, id, tenant string) ([]RunRef, error) {
	var out []RunRef
	err := conn.Select(ctx, &out, stmts.Render("find_runs", struct{ Tenant string }{tenant}),
		clickhouse.Named("id", id), clickhouse.Named("tenant", tenant))
	if err != nil {
		return nil, fmt.Errorf("events: find run %s: %w", id, err)
	}
	return out, nil
}

// responderColumns are what a responder reads of a run: every column but
// the content fingerprint.
var responderColumns = scanOf(slicesWithout(Columns, "content_hash")...)

// RunEvents reads one run's events in (ts, span_id) order, each once, with
// every column a responder needs (payloads were redacted at ingest). It
// returns ErrNotFound when the run has no event.
func RunEvents(ctx context.Context, conn driver.Conn, run RunKey) ([]Row, error) {
	q := stmts.Render("one_run", struct{ Columns string }{strings.Join(responderColumns.names(), ", ")})
	rows, err := conn.Query(ctx, q, clickhouse.Named("tenant", run.Tenant), clickhouse.Named("run_id", run.RunID))
	if err != nil {
		return nil, fmt.Errorf("events: run %s/%s: %w", run.Tenant, run.RunID, err)
	}
	defer rows.Close()
	var out []Row
	var buf []any
	for rows.Next() {
		out = append(out, Row{})
		buf = responderColumns.dest(&out[len(out)-1], buf)
		if err := rows.Scan(buf...); err != nil {
			return nil, fmt.Errorf("events: run %s/%s: %w", run.Tenant, run.RunID, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: run %s/%s: %w", run.Tenant, run.RunID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: run %s of tenant %s has no event", ErrNotFound, run.RunID, run.Tenant)
	}
	return out, nil
}
