package rollout

import (
	"fmt"
	"slices"

	"github.com/evalhouse/evalhouse/events"
)

// What a rollback disables: for a breached check, the capability of the
// release whose events moved the metric most against the baseline, from
// the events of the runs in the window (events.StageCapabilities).

// capMeasures: for each metric, the capabilities that can move it and the
// per-event measure compared.
var capMeasures = map[string]struct {
	dims    []string
	measure string // errors | cost | duration | denials
}{
	"error_rate":       {[]string{"tool", "model"}, "errors"},
	"latency_ms_p95":   {[]string{"tool", "model"}, "duration"},
	"cost_usd_p95":     {[]string{"model", "prompt"}, "cost"},
	"policy_deny_rate": {[]string{"policy"}, "denials"},
	"approval_rate":    {[]string{"policy"}, "denials"}, // approvals are not counted per policy: its denials stand in
}

// changeDims maps a rule's applies_to change types to capabilities.
var changeDims = map[string]string{"tool": "tool", "model": "model", "prompt": "prompt", "memory": "memory", "policy": "policy"}

func measure(c events.Capability, m string) float64 {
	switch m {
	case "errors":
		return float64(c.Errors)
	case "cost":
		return c.CostUSD
	case "duration":
		return c.DurationMS
	}
	return float64(c.Denials)
}

// blame picks, among rel's capabilities of dims with any of the measure,
// the one whose measure is most above what the baseline's rate per event
// would give it (a capability the baseline lacks is all excess; with no
// excess anywhere, the one least below it), ties to the larger total.
func blame(dims []string, m string, rel, base *side) *Capability {
	type cand struct {
		c             events.Capability
		excess, total float64
		baseRate      float64
	}
	var best *cand
	for _, c := range rel.caps {
		if !slices.Contains(dims, c.Dim) || c.Events == 0 {
			continue
		}
		x := cand{c: c, total: measure(c, m)}
		if base != nil {
			if i := slices.IndexFunc(base.caps, func(b events.Capability) bool { return b.Dim == c.Dim && b.Value == c.Value }); i >= 0 && base.caps[i].Events > 0 {
				x.baseRate = measure(base.caps[i], m) / float64(base.caps[i].Events)
			}
		}
		x.excess = x.total - x.baseRate*float64(c.Events)
		if x.total > 0 && (best == nil || x.excess > best.excess || (x.excess == best.excess && x.total > best.total)) {
			best = &x
		}
	}
	if best == nil {
		return nil
	}
	rate := best.total / float64(best.c.Events)
	why := fmt.Sprintf("%s %.4g over %d events (%.4g per event; the baseline's %.4g)", m, best.total, best.c.Events, rate, best.baseRate)
	if m == "errors" {
		why = fmt.Sprintf("%d errors in %d events (%.1f%%; the baseline's %.1f%%)", best.c.Errors, best.c.Events, 100*rate, 100*best.baseRate)
	}
	name := best.c.Value
	if best.c.Dim == "memory" {
		name = "memory writes"
	}
	return &Capability{Kind: best.c.Dim, Name: name, Why: why}
}

func metricCapability(metric string, rel, base *side) *Capability {
	switch metric {
	case "rag_stale_rate", "rag_forbidden_rate":
		return &Capability{Kind: "retrieval", Name: "retrieval", Why: "retrievals returned stale or forbidden sources: disable retrieval or the sources"}
	case "contract_violations":
		return nil // instrumentation, not a capability
	case "false_allow":
		return falseAllowCapability(rel)
	}
	cm, ok := capMeasures[metric]
	if !ok {
		return nil
	}
	return blame(cm.dims, cm.measure, rel, base)
}

// ruleCapability names, for a failing rule, the capability of its
// applies_to (change types) whose events erred most against the baseline,
// else the first of them the release used; a rule that names none gives
// the rule itself.
func ruleCapability(rule string, appliesTo []string, rel, base *side) *Capability {
	var dims []string
	for _, ct := range appliesTo {
		if d, ok := changeDims[ct]; ok {
			dims = append(dims, d)
		}
	}
	if c := blame(dims, "errors", rel, base); c != nil {
		return c
	}
	for _, d := range dims {
		if i := slices.IndexFunc(rel.caps, func(c events.Capability) bool { return c.Dim == d }); i >= 0 {
			c := rel.caps[i]
			name := c.Value
			if d == "memory" {
				name = "memory writes"
			}
			return &Capability{Kind: d, Name: name, Why: fmt.Sprintf("rule %s guards %s changes; the release used %s %s", rule, d, d, c.Value)}
		}
	}
	return &Capability{Kind: "rule", Name: rule, Why: "the rule names no capability (applies_to): disable what it guards"}
}

// falseAllowCapability names the policy version that decided the false
// allows: the one most of those runs' policy events carry.
func falseAllowCapability(rel *side) *Capability {
	var best string
	for v, n := range rel.falseBy {
		if best == "" || n > rel.falseBy[best] || (n == rel.falseBy[best] && v < best) {
			best = v
		}
	}
	if best == "" {
		return nil
	}
	return &Capability{Kind: "policy", Name: best, Why: fmt.Sprintf("%s allowed %d of the %d runs whose case expects require_approval or deny",
		best, rel.falseBy[best], rel.falseAllow)}
}
