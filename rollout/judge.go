package rollout

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/evalhouse/evalhouse/events"
)

// judge applies cfg's checks to the release's side and the baseline's
// (nil without a baseline) and settles the decision.
func judge(cfg *Config, rel, base *side, ruleTypes map[string][]string, d *Decision) {
	d.Samples.Runs, d.Samples.MinRuns = len(rel.runs), cfg.MinRuns
	if base != nil {
		d.Samples.BaselineRuns = len(base.runs)
	}
	var holds []string
	seen := map[string]bool{}
	for _, r := range rel.runs {
		for _, k := range r.Kinds {
			seen[k] = true
		}
		d.Samples.ContractViolations += r.Violations
		if r.LastEvent.After(d.Samples.LastEvent) {
			d.Samples.LastEvent = r.LastEvent
		}
	}
	for k := range seen {
		d.Samples.Kinds = append(d.Samples.Kinds, k)
	}
	slices.Sort(d.Samples.Kinds)
	if len(rel.runs) < cfg.MinRuns {
		holds = append(holds, fmt.Sprintf("too few runs: %s had %d in the window, the stage needs min_runs %d", d.Release, len(rel.runs), cfg.MinRuns))
	}
	if base != nil && len(base.runs) < cfg.MinRuns && cfg.comparesBaseline() {
		holds = append(holds, fmt.Sprintf("too few baseline runs: %s had %d in the window, the comparison needs min_runs %d", d.Baseline, len(base.runs), cfg.MinRuns))
	}
	for _, k := range cfg.RequireKinds {
		if !seen[k] {
			d.Samples.MissingKinds = append(d.Samples.MissingKinds, k)
		}
	}
	if len(d.Samples.MissingKinds) > 0 && len(rel.runs) > 0 {
		holds = append(holds, fmt.Sprintf("missing kinds: the release's runs show no %s event (require_kinds)", strings.Join(d.Samples.MissingKinds, ", ")))
	}
	if gap := d.Window.Until.Sub(d.Samples.LastEvent); len(rel.runs) > 0 && gap > cfg.MaxExportGap.d() {
		holds = append(holds, fmt.Sprintf("trace export gap: the release's newest event is %s before the window's end (max_export_gap %s): are traces still arriving?",
			gap.Round(1e9), cfg.MaxExportGap.d()))
	}
	for _, ch := range cfg.Checks {
		var r CheckResult
		if ch.Rule != "" {
			r = ruleCheck(cfg, ch, rel, base)
			if r.Status == StatusBreach {
				r.Disable = ruleCapability(ch.Rule, ruleTypes[ch.Rule], rel, base)
			}
		} else {
			r = metricCheck(cfg, ch, rel, base)
			if r.Status == StatusBreach {
				r.Disable = metricCapability(ch.Metric, rel, base)
			}
		}
		if r.Disable != nil {
			r.Disable.Check = r.Name
		}
		d.Checks = append(d.Checks, r)
	}
	d.settle(holds)
}

// settle picks the verdict from the checks and holds, in our design's
// order, and gathers what a rollback disables and the runs behind it.
func (d *Decision) settle(holds []string) {
	var blocking, warning, held bool
	for _, r := range d.Checks {
		switch {
		case r.Status == StatusBreach && r.Severity == SeverityBlocking:
			blocking = true
			d.Reasons = append(d.Reasons, "blocking: "+r.Name+": "+r.Message)
			if r.Disable != nil {
				d.Disable = append(d.Disable, *r.Disable)
			}
			d.FailingRuns = append(d.FailingRuns, r.failRuns...)
		case r.Status == StatusBreach:
			warning = true
			d.Reasons = append(d.Reasons, "warning: "+r.Name+": "+r.Message)
		case r.Status == StatusHold:
			held = true
			d.Reasons = append(d.Reasons, "hold: "+r.Name+": "+r.Message)
		}
	}
	for _, h := range holds {
		d.Reasons = append(d.Reasons, "hold: "+h)
	}
	held = held || len(holds) > 0
	switch {
	case blocking:
		d.Verdict = Rollback
	case held:
		d.Verdict = Hold
	case warning:
		d.Verdict = Narrow
	default:
		d.Verdict = Expand
	}
	d.ExitCode = ExitCode(d.Verdict)
	d.FailingRuns = uniqueRuns(d.FailingRuns, maxFailingRuns)
}

// maxFailingRuns bounds the runs a decision names.
const maxFailingRuns = 50

func uniqueRuns(rs []RunRef, n int) []RunRef {
	seen := map[events.RunKey]bool{}
	var out []RunRef
	for _, r := range rs {
		k := events.RunKey{Tenant: r.Tenant, RunID: r.RunID}
		if seen[k] || len(out) == n {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out
}

// proportion is a side's count and denominator for a rate metric, and its
// runs that count, worst first.
func (s *side) proportion(metric string) (x, n int, runs []RunRef) {
	for _, r := range s.runs {
		var rx, rn uint64
		switch metric {
		case "error_rate":
			rx, rn = b2u(r.Error), 1
		case "policy_deny_rate":
			rx, rn = r.Denials, r.Decisions
		case "approval_rate":
			rx, rn = r.Approved, r.Approvals
		case "rag_stale_rate":
			rx, rn = r.Stale, r.Retrievals
		case "rag_forbidden_rate":
			rx, rn = r.Forbidden, r.Retrievals
		case "contract_violations":
			rx, rn = r.ViolatingEvents, r.Events
		}
		x, n = x+int(rx), n+int(rn)
		bad := rx
		if metric == "approval_rate" {
			bad = rn - rx
		}
		if bad > 0 {
			runs = append(runs, RunRef{Tenant: r.Tenant, RunID: r.RunID, TraceID: r.TraceID, Check: "metric " + metric, Value: float64(bad)})
		}
	}
	slices.SortStableFunc(runs, func(a, b RunRef) int { return cmp.Compare(b.Value, a.Value) })
	return x, n, runs
}

// values are a side's per-run values of a per-run metric, and its runs
// largest first.
func (s *side) values(metric string) ([]float64, []RunRef) {
	var vs []float64
	var runs []RunRef
	for _, r := range s.runs {
		v := r.CostUSD
		if metric == "latency_ms_p95" {
			v = r.DurationMS
		}
		vs = append(vs, v)
		runs = append(runs, RunRef{Tenant: r.Tenant, RunID: r.RunID, TraceID: r.TraceID, Check: "metric " + metric, Value: v})
	}
	slices.SortStableFunc(runs, func(a, b RunRef) int { return cmp.Compare(b.Value, a.Value) })
	return vs, runs
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func ptr(v float64) *float64 { return &v }

func severity(ch Check) string {
	if ch.Blocking() {
		return SeverityBlocking
	}
	return SeverityWarning
}

// part is one half of a check (absolute, or against the baseline).
type part struct {
	status, msg string
}

func combine(r *CheckResult, parts []part) {
	r.Status = StatusPass
	var msgs []string
	for _, p := range parts {
		if p.status == StatusBreach || (p.status == StatusHold && r.Status == StatusPass) {
			r.Status = p.status
		}
		msgs = append(msgs, p.msg)
	}
	r.Message = strings.Join(msgs, "; ")
}

func metricCheck(cfg *Config, ch Check, rel, base *side) CheckResult {
	spec := Metrics[ch.Metric]
	r := CheckResult{Name: ch.Name(), Kind: "metric", Severity: severity(ch)}
	var parts []part
	switch {
	case spec.count:
		r.Observed, r.N = float64(rel.falseAllow), rel.cases
		r.Threshold, r.Bound = ch.Max, "max"
		switch {
		case rel.cases == 0:
			parts = append(parts, part{StatusPass, "no run of a dataset case expecting a decision in the window: nothing to judge"})
		case r.Observed > *ch.Max:
			parts = append(parts, part{StatusBreach, fmt.Sprintf("%d false allows in %d runs of cases expecting a decision > max %g", rel.falseAllow, rel.cases, *ch.Max)})
			r.failRuns = rel.falseRuns
		default:
			parts = append(parts, part{StatusPass, fmt.Sprintf("%d false allows in %d runs ≤ max %g", rel.falseAllow, rel.cases, *ch.Max)})
		}
	case spec.proportion:
		x, n, runs := rel.proportion(ch.Metric)
		r.Observed, r.N = ratio(x, n), n
		what := fmt.Sprintf("%d of %d", x, n)
		if bound, v := absBound(ch); v != nil {
			r.Threshold, r.Bound = v, bound
			parts = append(parts, absolute(cfg, bound, *v, r.Observed, n, what))
		}
		if m, worse := ch.MaxIncrease, true; m != nil || ch.MaxDecrease != nil {
			if m == nil {
				m, worse = ch.MaxDecrease, false
			}
			bx, bn, _ := base.proportion(ch.Metric)
			bv := ratio(bx, bn)
			t := proportionWorse(x, n, bx, bn, *m, cfg.Alpha, cfg.MinRuns)
			if !worse { // less is worse: test the complement's increase
				t = proportionWorse(n-x, n, bn-bx, bn, *m, cfg.Alpha, cfg.MinRuns)
			}
			r.BaselineValue, r.Change, r.Margin, r.Test = ptr(bv), ptr(r.Observed-bv), m, &t
			parts = append(parts, compare(cfg, t, r.Observed-bv, *m, worse, fmt.Sprintf("%.4f (%s) against the baseline's %.4f (%d of %d)", r.Observed, what, bv, bx, bn)))
		}
		r.failRuns = runs
	default:
		vs, runs := rel.values(ch.Metric)
		r.Observed, r.N = quantile(vs, 0.95), len(vs)
		var cut *float64 // the lowest bound breached: runs beyond it fail
		breached := func(bound *float64) {
			if parts[len(parts)-1].status == StatusBreach && (cut == nil || *bound < *cut) {
				cut = bound
			}
		}
		if ch.Max != nil {
			r.Threshold, r.Bound = ch.Max, "max"
			parts = append(parts, absolute(cfg, "max", *ch.Max, r.Observed, len(vs), fmt.Sprintf("p95 over %d runs", len(vs))))
			breached(ch.Max)
		}
		if m := ch.MaxIncreaseRatio; m != nil {
			bvs, _ := base.values(ch.Metric)
			bv := quantile(bvs, 0.95)
			t := exceedanceWorse(vs, bvs, *m, cfg.Alpha, cfg.MinRuns)
			r.BaselineValue, r.Margin, r.Test = ptr(bv), m, &t
			var what string
			change := 0.0
			switch {
			case bv > 0:
				change = r.Observed/bv - 1
				r.Change = ptr(change)
				what = fmt.Sprintf("p95 %.4g against the baseline's %.4g (%+.1f%%), %d of %d runs above %.4g (the baseline's %d of %d above its p95)",
					r.Observed, bv, 100*change, t.X, t.N, *t.Bound, t.XBaseline, t.NBaseline)
			case r.Observed > 0: // from nothing: more than any ratio
				change = math.MaxFloat64
				what = fmt.Sprintf("p95 %.4g against the baseline's 0, %d of %d runs above it", r.Observed, t.X, t.N)
			default:
				what = "p95 0, as the baseline's"
			}
			parts = append(parts, compare(cfg, t, change, *m, true, what))
			breached(t.Bound)
		}
		// The failing runs are those beyond the lower bound breached.
		if cut != nil {
			runs = slices.DeleteFunc(runs, func(x RunRef) bool { return x.Value <= *cut })
		}
		r.failRuns = runs
	}
	combine(&r, parts)
	if r.Status != StatusBreach || !ch.Blocking() {
		r.failRuns = nil
	}
	return r
}

func ruleCheck(cfg *Config, ch Check, rel, base *side) CheckResult {
	r := CheckResult{Name: ch.Name(), Kind: "rule", Severity: severity(ch)}
	t := rel.rules[ch.Rule]
	r.Observed, r.N = ratio(t.passed, t.total), t.total
	what := fmt.Sprintf("%d of %d runs passed", t.passed, t.total)
	var parts []part
	if ch.MinPassRate != nil {
		r.Threshold, r.Bound = ch.MinPassRate, "min_pass_rate"
		parts = append(parts, absolute(cfg, "min", *ch.MinPassRate, r.Observed, t.total, what))
	}
	if ch.MaxDrop != nil {
		b := base.rules[ch.Rule]
		bv := ratio(b.passed, b.total)
		test := proportionWorse(t.total-t.passed, t.total, b.total-b.passed, b.total, *ch.MaxDrop, cfg.Alpha, cfg.MinRuns)
		r.BaselineValue, r.Change, r.Margin, r.Test = ptr(bv), ptr(r.Observed-bv), ch.MaxDrop, &test
		parts = append(parts, compare(cfg, test, r.Observed-bv, *ch.MaxDrop, false,
			fmt.Sprintf("pass rate %.4f (%s) against the baseline's %.4f (%d of %d)", r.Observed, what, bv, b.passed, b.total)))
	}
	combine(&r, parts)
	if r.Status == StatusBreach && ch.Blocking() {
		r.failRuns = t.failing
	}
	return r
}

// absBound is the check's absolute bound: max, or min.
func absBound(ch Check) (string, *float64) {
	if ch.Max != nil {
		return "max", ch.Max
	}
	if ch.Min != nil {
		return "min", ch.Min
	}
	return "", nil
}

func absolute(cfg *Config, bound string, limit, observed float64, n int, what string) part {
	switch {
	case n < cfg.MinRuns:
		return part{StatusHold, fmt.Sprintf("%s: %d samples, fewer than min_runs %d to judge %s %g", what, n, cfg.MinRuns, bound, limit)}
	case bound == "max" && observed > limit, bound == "min" && observed < limit:
		return part{StatusBreach, fmt.Sprintf("%.4g (%s) breaches %s %g", observed, what, bound, limit)}
	}
	return part{StatusPass, fmt.Sprintf("%.4g (%s) within %s %g", observed, what, bound, limit)}
}

// compare judges a change against the baseline: a breach needs the
// change past the margin and the test significant; too few samples on
// either side hold.
func compare(cfg *Config, t Test, change, margin float64, higherWorse bool, what string) part {
	worse := change > margin
	if !higherWorse {
		worse = -change > margin
	}
	switch {
	case t.N < cfg.MinRuns || t.NBaseline < cfg.MinRuns:
		return part{StatusHold, fmt.Sprintf("%s: %d and %d samples, fewer than min_runs %d to compare", what, t.N, t.NBaseline, cfg.MinRuns)}
	case worse && t.Significant:
		return part{StatusBreach, fmt.Sprintf("%s: worse by more than %g (p = %.4g < alpha %g)", what, margin, t.PValue, t.Alpha)}
	case worse:
		return part{StatusPass, fmt.Sprintf("%s: worse by more than %g but not significantly (p = %.4g ≥ alpha %g)", what, margin, t.PValue, t.Alpha)}
	}
	return part{StatusPass, fmt.Sprintf("%s: within %g", what, margin)}
}

func ratio(x, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(x) / float64(n)
}
