package gate

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/events"
)

// results are one release's evaluator results on the dataset version,
// aggregated in the store: the gate never pulls every result row.
type results struct {
	byRule      map[string]*ruleAgg
	scoredCases map[string]bool
}

type ruleAgg struct {
	total, passed int
	worst         []CaseRef
}

// worstPerRule is how many failing cases the evidence names per rule.
const worstPerRule = 5

func loadResults(ctx context.Context, conn driver.Conn, in Inputs, release string) (*results, error) {
	r := &results{byRule: map[string]*ruleAgg{}, scoredCases: map[string]bool{}}
	if len(in.Rules) == 0 {
		return r, nil
	}
	ruleIDs, versions := make([]string, 0, len(in.Rules)), make([]string, 0, len(in.Rules))
	for id, rule := range in.Rules {
		ruleIDs = append(ruleIDs, id)
		versions = append(versions, rule.Version)
	}
	// Only results of the rule versions in the rules directory count.
	filter := `dataset = ? AND dataset_version = ? AND release = ? AND (rule_id, rule_version) IN (SELECT arrayJoin(arrayZip(?, ?)))`
	args := []any{in.Dataset.Name, in.Dataset.Version, release, ruleIDs, versions}

	rows, err := conn.Query(ctx, `SELECT rule_id, toUInt64(count()), toUInt64(countIf(passed)) FROM eval_results FINAL WHERE `+filter+` GROUP BY rule_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("gate: read results: %w", err)
	}
	for rows.Next() {
		var id string
		var total, passed uint64
		if err := rows.Scan(&id, &total, &passed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("gate: read results: %w", err)
		}
		r.byRule[id] = &ruleAgg{total: int(total), passed: int(passed)}
	}
	rows.Close()

	rows, err = conn.Query(ctx, `SELECT rule_id, case_id, run_id, trace_id, score, if(error != '', 'error: ' || error, reason)
		FROM eval_results FINAL WHERE `+filter+` AND NOT passed
		ORDER BY rule_id, error = '', score, case_id LIMIT `+fmt.Sprint(worstPerRule)+` BY rule_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("gate: read failing cases: %w", err)
	}
	for rows.Next() {
		var id string
		var c CaseRef
		if err := rows.Scan(&id, &c.CaseID, &c.RunID, &c.TraceID, &c.Score, &c.Why); err != nil {
			rows.Close()
			return nil, fmt.Errorf("gate: read failing cases: %w", err)
		}
		if a := r.byRule[id]; a != nil {
			a.worst = append(a.worst, c)
		}
	}
	rows.Close()

	rows, err = conn.Query(ctx, `SELECT DISTINCT case_id FROM eval_results FINAL WHERE `+filter, args...)
	if err != nil {
		return nil, fmt.Errorf("gate: read scored cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("gate: read scored cases: %w", err)
		}
		r.scoredCases[id] = true
	}
	return r, rows.Err()
}

// runMetrics are the release's run-level measures on the dataset version.
type runMetrics events.RunMetrics

func (m runMetrics) value(name string) (float64, bool) {
	if m.Runs == 0 {
		return 0, false
	}
	switch name {
	case "cost_usd_p95":
		return m.CostP95, true
	case "cost_usd_mean":
		return m.CostMean, true
	case "latency_ms_p95":
		return m.LatencyP95, true
	case "error_rate":
		return m.ErrorRate, true
	case "contract_violations":
		return float64(m.ContractViolations), true
	}
	return 0, false
}

// loadRunMetrics reads the run metrics and contract gaps of the release's
// runs on the dataset version (exact reads: see events).
func loadRunMetrics(ctx context.Context, conn driver.Conn, dataset, release string) (runMetrics, ContractResult, error) {
	var c ContractResult
	sel := events.Selection{Dataset: dataset, Release: release}
	m, err := events.ReadRunMetrics(ctx, conn, sel)
	if err != nil {
		return runMetrics(m), c, fmt.Errorf("gate: %w", err)
	}
	if m.Runs == 0 {
		return runMetrics(m), c, nil
	}
	if c.ByField, err = events.ContractGaps(ctx, conn, sel); err != nil {
		return runMetrics(m), c, fmt.Errorf("gate: %w", err)
	}
	for _, g := range c.ByField {
		c.Violations += int(g.Events)
	}
	return runMetrics(m), c, nil
}
