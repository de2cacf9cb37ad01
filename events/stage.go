package events

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Readers for stage gates: a release's production runs in a window, each
// measured whole, and their events per capability (tool, model, prompt,
// policy, memory writes), so a failing check can name what to disable.

// StageFilter selects a release's runs in an environment that started in
// [Since, Until), of Tenants when given.
type StageFilter struct {
	Release, Environment string
	Tenants              []string
	Since, Until         time.Time
}

func (f StageFilter) args() []any {
	args := []any{clickhouse.Named("release", f.Release), clickhouse.Named("environment", f.Environment),
		clickhouse.Named("since", f.Since.UnixMicro()), clickhouse.Named("until", f.Until.UnixMicro())}
	if len(f.Tenants) > 0 {
		args = append(args, clickhouse.Named("tenants", f.Tenants))
	}
	return args
}

// RunSample is one run as a stage gate measures it.
type RunSample struct {
	Tenant, RunID, TraceID string
	Error                  bool    // its run event's status is error
	CostUSD                float64 // all its events'
	DurationMS             float64 // its run event's
	Events                 uint64
	ViolatingEvents        uint64 // events with a contract violation
	Violations             uint64
	Decisions, Denials     uint64 // policy events, and those that denied
	Approvals, Approved    uint64
	Retrievals             uint64
	Stale, Forbidden       uint64 // retrievals of stale sources, denied access
	Kinds                  []string
	LastEvent              time.Time
}

// StageRuns reads the runs f selects, in (tenant, run_id) order.
func StageRuns(ctx context.Context, conn driver.Conn, f StageFilter) ([]RunSample, error) {
	rows, err := conn.Query(ctx, stmts.Render("stage_runs", f), f.args()...)
	if err != nil {
		return nil, fmt.Errorf("events: stage runs of %s: %w", f.Release, err)
	}
	defer rows.Close()
	var out []RunSample
	for rows.Next() {
		var r RunSample
		var errFlag uint8
		if err := rows.Scan(&r.Tenant, &r.RunID, &r.TraceID, &errFlag, &r.CostUSD, &r.DurationMS, &r.Events, &r.ViolatingEvents,
			&r.Violations, &r.Decisions, &r.Denials, &r.Approvals, &r.Approved, &r.Retrievals, &r.Stale, &r.Forbidden,
			&r.Kinds, &r.LastEvent); err != nil {
			return nil, fmt.Errorf("events: stage runs of %s: %w", f.Release, err)
		}
		r.Error, r.LastEvent = errFlag == 1, r.LastEvent.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: stage runs of %s: %w", f.Release, err)
	}
	return out, nil
}

// Capability is the selected runs' events of one capability: Dim is
// "tool", "model", "prompt", "policy" or "memory" (Value "writes").
type Capability struct {
	Dim, Value     string
	Events, Errors uint64
	CostUSD        float64
	Denials        uint64
	DurationMS     float64
}

// StageCapabilities reads the events of the runs f selects per capability,
// in (Dim, Value) order.
func StageCapabilities(ctx context.Context, conn driver.Conn, f StageFilter) ([]Capability, error) {
	rows, err := conn.Query(ctx, stmts.Render("stage_capabilities", f), f.args()...)
	if err != nil {
		return nil, fmt.Errorf("events: capabilities of %s: %w", f.Release, err)
	}
	defer rows.Close()
	var out []Capability
	for rows.Next() {
		var c Capability
		if err := rows.Scan(&c.Dim, &c.Value, &c.Events, &c.Errors, &c.CostUSD, &c.Denials, &c.DurationMS); err != nil {
			return nil, fmt.Errorf("events: capabilities of %s: %w", f.Release, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: capabilities of %s: %w", f.Release, err)
	}
	return out, nil
}
