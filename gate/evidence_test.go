package gate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/gate"
)

// failing is the store's evidence with one reader that fails, as a store
// that goes away between two reads does.
type failing struct {
	gate.Evidence
	results, metrics, gaps bool
}

var errRead = errors.New("store went away")

func (f failing) Results(ctx context.Context, r evaluators.ResultFilter) (*evaluators.Results, error) {
	if f.results {
		return nil, errRead
	}
	return f.Evidence.Results(ctx, r)
}

func (f failing) RunMetrics(ctx context.Context, s events.Selection) (events.RunMetrics, error) {
	if f.metrics {
		return events.RunMetrics{}, errRead
	}
	return f.Evidence.RunMetrics(ctx, s)
}

func (f failing) ContractGaps(ctx context.Context, s events.Selection) ([]events.ContractGap, error) {
	if f.gaps {
		return nil, errRead
	}
	return f.Evidence.ContractGaps(ctx, s)
}

// A release that passes on the whole evidence gets no decision at all when
// any one read of it fails: the gate never decides on part of its evidence.
func TestEvidenceReadFailureIsNoDecision(t *testing.T) {
	w := newWorld(t, 4)
	w.runs(t, "2.4.0", 4, "")
	w.results(t, "2.4.0", "task_success", 4, 0)
	w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 0)
	c := cfg(t, baseCfg)
	if d := evaluate(t, w, c, gate.Options{}); d.Verdict != gate.Pass {
		t.Fatalf("whole evidence: %s %v", d.Verdict, d.Reasons)
	}
	for name, ev := range map[string]failing{"results": {results: true}, "metrics": {metrics: true}, "contract": {gaps: true}} {
		ev.Evidence = gate.StoreEvidence(w.s.Conn)
		d, err := gate.Evaluate(context.Background(), ev, c, w.in, gate.Options{})
		if !errors.Is(err, errRead) {
			t.Errorf("%s read fails: decision %+v, error %v; want the read's error", name, d, err)
		}
	}
}
