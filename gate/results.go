package gate

import (
	"context"
	"fmt"
	"sort"

	"github.com/evalhouse/evalhouse/evaluators"
)

// worstPerRule is how many failing cases the evidence names per rule.
const worstPerRule = 5

// loadResults reads one release's evaluator results on the dataset
// version through their owner's reader (evaluators.ReadResults): only the
// rule versions in the rules directory count.
func loadResults(ctx context.Context, ev Evidence, in Inputs, release string) (*evaluators.Results, error) {
	f := evaluators.ResultFilter{Dataset: in.Dataset.Name, Version: in.Dataset.Version, Release: release, Worst: worstPerRule}
	for id, r := range in.Rules {
		f.Rules = append(f.Rules, evaluators.RuleVersion{ID: id, Version: r.Version})
	}
	sort.Slice(f.Rules, func(i, j int) bool { return f.Rules[i].ID < f.Rules[j].ID })
	res, err := ev.Results(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("gate: %w", err)
	}
	return res, nil
}

// caseRefs names failing cases in the evidence.
func caseRefs(fs []evaluators.FailedCase) []CaseRef {
	if len(fs) == 0 {
		return nil
	}
	out := make([]CaseRef, len(fs))
	for i, f := range fs {
		out[i] = CaseRef{CaseID: f.CaseID, RunID: f.RunID, TraceID: f.TraceID, Score: f.Score, Why: f.Why}
	}
	return out
}
