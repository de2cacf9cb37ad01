package evaluators

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/events"
)

// RunResult is a rule's latest result on one run, as a responder reads it.
type RunResult struct {
	Tenant         string    `json:"-" ch:"tenant"`
	RunID          string    `json:"-" ch:"run_id"`
	RuleID         string    `json:"rule_id" ch:"rule_id"`
	RuleVersion    string    `json:"rule_version" ch:"rule_version"`
	Passed         bool      `json:"passed" ch:"passed"` // false whenever Error is set
	Score          float64   `json:"score" ch:"score"`
	Error          string    `json:"error,omitempty" ch:"error"` // why the rule could not judge the run
	Reason         string    `json:"reason,omitempty" ch:"reason"`
	Dataset        string    `json:"dataset,omitempty" ch:"dataset"`                 // dataset name; "" for a production run
	DatasetVersion uint32    `json:"dataset_version,omitempty" ch:"dataset_version"` // 0 for a production run
	EvaluatedAt    time.Time `json:"evaluated_at" ch:"evaluated_at"`
}

// RunResults reads each rule's latest result on each of runs: a rule
// scored again (a new version, or a re-score) counts by its last
// evaluation. Runs with no result are absent from the map; each run's
// results are by rule id.
func RunResults(ctx context.Context, conn driver.Conn, runs []events.RunKey) (map[events.RunKey][]RunResult, error) {
	out := map[events.RunKey][]RunResult{}
	if len(runs) == 0 {
		return out, nil
	}
	tenants, ids := make([]string, len(runs)), make([]string, len(runs))
	for i, k := range runs {
		tenants[i], ids[i] = k.Tenant, k.RunID
	}
	var rows []RunResult
	if err := conn.Select(ctx, &rows, stmts.Get("run_results"), clickhouse.Named("tenants", tenants), clickhouse.Named("run_ids", ids)); err != nil {
		return nil, fmt.Errorf("evaluators: results of %d run(s): %w", len(runs), err)
	}
	for _, r := range rows {
		k := events.RunKey{Tenant: r.Tenant, RunID: r.RunID}
		out[k] = append(out[k], r)
	}
	return out, nil
}

// FailingFilter selects the runs whose latest result of Rule failed. The
// other fields narrow by the results' run context ("" or zero: any).
type FailingFilter struct {
	Rule                         string // a rule id; required
	Tenant, Environment, Release string
	Since, Until                 time.Time // the run started in [Since, Until)
}

// FailingRuns reads the runs f selects, by (tenant, run id). It never
// returns nil without an error: no run fails is an empty list.
func FailingRuns(ctx context.Context, conn driver.Conn, f FailingFilter) ([]events.RunKey, error) {
	if f.Rule == "" {
		return nil, fmt.Errorf("evaluators: failing runs: no rule named")
	}
	micros := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMicro()
	}
	rows, err := conn.Query(ctx, stmts.Get("failing_runs"), clickhouse.Named("rule", f.Rule), clickhouse.Named("tenant", f.Tenant),
		clickhouse.Named("environment", f.Environment), clickhouse.Named("release", f.Release),
		clickhouse.Named("since", micros(f.Since)), clickhouse.Named("until", micros(f.Until)))
	if err != nil {
		return nil, fmt.Errorf("evaluators: runs failing rule %s: %w", f.Rule, err)
	}
	defer rows.Close()
	out := []events.RunKey{}
	for rows.Next() {
		var k events.RunKey
		if err := rows.Scan(&k.Tenant, &k.RunID); err != nil {
			return nil, fmt.Errorf("evaluators: runs failing rule %s: %w", f.Rule, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evaluators: runs failing rule %s: %w", f.Rule, err)
	}
	return out, nil
}
