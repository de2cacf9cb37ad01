package gate

import (
	"context"
	"fmt"

	"github.com/evalhouse/evalhouse/events"
)

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
func loadRunMetrics(ctx context.Context, ev Evidence, dataset, release string) (runMetrics, ContractResult, error) {
	var c ContractResult
	sel := events.Selection{Dataset: dataset, Release: release}
	m, err := ev.RunMetrics(ctx, sel)
	if err != nil {
		return runMetrics(m), c, fmt.Errorf("gate: %w", err)
	}
	if m.Runs == 0 {
		return runMetrics(m), c, nil
	}
	if c.ByField, err = ev.ContractGaps(ctx, sel); err != nil {
		return runMetrics(m), c, fmt.Errorf("gate: %w", err)
	}
	for _, g := range c.ByField {
		c.Violations += int(g.Events)
	}
	return runMetrics(m), c, nil
}
