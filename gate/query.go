package gate

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// runMetrics are the release's run-level measures on the dataset version.
type runMetrics struct {
	Runs                                     uint64
	CostP95, CostMean, LatencyP95, ErrorRate float64
	ContractViolations                       uint64
}

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

// Every read here counts rows, so every read is exact: FINAL collapses the
// duplicates concurrent writers can leave (agent_events and eval_results
// are ReplacingMergeTrees) before anything is counted.

// runsOf selects the (tenant, run_id) of the release's runs on the dataset version.
const runsOf = `(tenant, run_id) IN (SELECT tenant, run_id FROM agent_events FINAL WHERE kind = 'run' AND dataset = ? AND release = ?)`

func loadRunMetrics(ctx context.Context, conn driver.Conn, dataset, release string) (runMetrics, ContractResult, error) {
	var m runMetrics
	var c ContractResult
	err := conn.QueryRow(ctx, `
		SELECT count(), quantileExact(0.95)(cost), avg(cost), quantileExact(0.95)(dur), avg(err), sum(cv)
		FROM (
			SELECT sumIf(cost_usd, kind = 'model') AS cost,
			       maxIf(duration_ms, kind = 'run') AS dur,
			       toFloat64(maxIf(status = 'error', kind = 'run')) AS err,
			       sum(length(contract_violations)) AS cv
			FROM agent_events FINAL WHERE `+runsOf+`
			GROUP BY tenant, run_id)`, dataset, release).
		Scan(&m.Runs, &m.CostP95, &m.CostMean, &m.LatencyP95, &m.ErrorRate, &m.ContractViolations)
	if err != nil {
		return m, c, fmt.Errorf("gate: run metrics: %w", err)
	}
	if m.Runs == 0 {
		return m, c, nil
	}
	if err := conn.Select(ctx, &c.ByField, `
		SELECT kind, field, count() AS events
		FROM agent_events FINAL ARRAY JOIN contract_violations AS field
		WHERE `+runsOf+`
		GROUP BY kind, field ORDER BY events DESC, kind, field`, dataset, release); err != nil {
		return m, c, fmt.Errorf("gate: contract violations: %w", err)
	}
	for _, g := range c.ByField {
		c.Violations += int(g.Events)
	}
	return m, c, nil
}
