package envelope

import "github.com/evalhouse/evalhouse/pricing"

// FillCost sets cost_usd of a model event from the price table t when the
// event has none and t prices its model from input_tokens and
// output_tokens. It reports whether it set the cost; a cost the event
// carries is never replaced. FillCost changes nothing else: callers that
// record where a cost came from use t.Version() (e.g. a row's
// cost_source). The pipeline calls FillCost after Decode, so event_id
// already reflects the event as sent, and before Check.
func (e *Event) FillCost(t *pricing.Table) bool {
	if e.Kind != KindModel || e.CostUSD != nil || e.InputTokens == nil || e.OutputTokens == nil || t == nil {
		return false
	}
	usd, ok := t.Cost(e.Model, *e.InputTokens, *e.OutputTokens)
	if !ok {
		return false
	}
	e.CostUSD = &usd
	return true
}
