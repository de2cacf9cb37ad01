package gate

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
)

// Evidence is what Evaluate reads to decide: the evaluator results and run
// metrics of a release on a dataset version. StoreEvidence reads them from
// their owners' tables; the gate needs nothing else from the store.
type Evidence interface {
	// Results are per-rule totals and worst cases (evaluators.ReadResults).
	Results(ctx context.Context, f evaluators.ResultFilter) (*evaluators.Results, error)
	// RunMetrics measure the selected runs (events.ReadRunMetrics).
	RunMetrics(ctx context.Context, s events.Selection) (events.RunMetrics, error)
	// ContractGaps are the selected events' contract violations (events.ContractGaps).
	ContractGaps(ctx context.Context, s events.Selection) ([]events.ContractGap, error)
}

// StoreEvidence reads the evidence through conn, with the owners' readers.
func StoreEvidence(conn driver.Conn) Evidence { return storeEvidence{conn} }

type storeEvidence struct{ conn driver.Conn }

func (e storeEvidence) Results(ctx context.Context, f evaluators.ResultFilter) (*evaluators.Results, error) {
	return evaluators.ReadResults(ctx, e.conn, f)
}

func (e storeEvidence) RunMetrics(ctx context.Context, s events.Selection) (events.RunMetrics, error) {
	return events.ReadRunMetrics(ctx, e.conn, s)
}

func (e storeEvidence) ContractGaps(ctx context.Context, s events.Selection) ([]events.ContractGap, error) {
	return events.ContractGaps(ctx, e.conn, s)
}
