package reports

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// The diff report: release A (Filter.Releases, exactly one) against
// release B (Options.Against). Every metric the presets of DiffOf show,
// each over the kinds of events its section reads, is computed for both
// releases in the report's window, side by side: one table per unit so
// every format shows each value as its unit does. Then the dataset cases
// whose outcome on a rule flipped between B and A.

// DiffOf are the presets whose metrics the diff report compares.
var DiffOf = []string{"cost", "latency", "tools", "policy", "rag", "quality"}

// Errors of a diff asked for without its two releases.
var (
	ErrDiffRelease = errors.New("reports: diff: give the release under test (--release) exactly once")
	ErrDiffAgainst = errors.New("reports: diff: give the release to compare with (--against), other than --release")
)

// diffMetric is one metric over one set of kinds, as the first preset of
// DiffOf that shows it.
type diffMetric struct {
	report string
	kinds  []envelope.Kind
	metric events.Metric
}

func kindsLabel(kinds []envelope.Kind) string {
	if len(kinds) == 0 {
		return "all"
	}
	var s []string
	for _, k := range kinds {
		s = append(s, string(k))
	}
	return strings.Join(s, ",")
}

// diffMetrics lists the metrics of DiffOf's presets in the order they
// show them: a count, sum or rate once, over the events of the first
// section that shows it (model_calls or cost_usd are the same over model
// calls and over all events); a percentile once per set of kinds, since
// run, tool and model durations differ.
func diffMetrics() []diffMetric {
	var out []diffMetric
	seen := map[string]bool{}
	for _, name := range DiffOf {
		i := slices.IndexFunc(presets, func(p preset) bool { return p.name == name })
		if i < 0 {
			continue
		}
		for _, s := range presets[i].sections {
			for _, m := range s.q.Metrics {
				mm, _ := events.MetricNamed(m)
				key := m
				if mm.Quantile() {
					key += "/" + kindsLabel(s.q.Filter.Kinds)
				}
				if seen[key] {
					continue
				}
				seen[key] = true
				out = append(out, diffMetric{report: name, kinds: s.q.Filter.Kinds, metric: mm})
			}
		}
	}
	return out
}

// diffUnits are the diff's tables: one per unit, in this order.
var diffUnits = []struct{ unit, title string }{
	{"count", "Counts"}, {"tokens", "Tokens"}, {"usd", "Cost (USD)"}, {"ms", "Durations (ms)"}, {"ratio", "Rates"},
}

// Delta is a against b: the difference, and the relative change over b
// (ok false when b is 0 and a is not: no relative change to state).
func Delta(a, b float64) (delta, pct float64, ok bool) {
	delta = a - b
	if b == 0 {
		return delta, 0, a == 0
	}
	return delta, delta / b, true
}

func buildDiff(ctx context.Context, conn driver.Conn, r *Report, o Options) error {
	if len(o.Filter.Releases) != 1 || o.Filter.Releases[0] == "" {
		return ErrDiffRelease
	}
	a, b := o.Filter.Releases[0], o.Against
	if b == "" || b == a {
		return ErrDiffAgainst
	}
	ms := diffMetrics()
	// One query per set of kinds, by release.
	type answer struct {
		values map[string][2]float64 // metric → a, b
		source string
		method string
	}
	answers := map[string]*answer{}
	var order []string
	groups := map[string][]string{}
	kinds := map[string][]envelope.Kind{}
	for _, m := range ms {
		k := kindsLabel(m.kinds)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
			kinds[k] = m.kinds
		}
		groups[k] = append(groups[k], m.metric.Name)
	}
	for _, k := range order {
		f := merge(o, Filter{Kinds: kinds[k]})
		f.Releases = []string{a, b}
		t, err := Run(ctx, conn, "diff "+k, Query{Metrics: groups[k], By: []string{"release"}, Filter: f, Exact: o.Exact}, o.Budget)
		if err != nil {
			return err
		}
		ans := &answer{values: map[string][2]float64{}, source: t.Source, method: t.Method}
		for _, row := range t.Rows {
			side := slices.Index([]string{a, b}, row.Dims[0])
			if side < 0 {
				continue
			}
			for j, name := range groups[k] {
				v := ans.values[name]
				v[side] = row.Values[j]
				ans.values[name] = v
			}
		}
		answers[k] = ans
	}

	label := fmt.Sprintf("%s (a) against %s (b)", a, b)
	for _, u := range diffUnits {
		t := newTable(u.title+": "+label, o, []string{"report", "events", "metric"}, []events.Metric{
			metric("a", u.unit, "the value in release "+a), metric("b", u.unit, "the value in release "+b),
			metric("delta", u.unit, "a - b"), metric("delta_pct", "ratio", "(a - b) / b: 0.25 is 25% more")})
		t.Query.Filter.Releases = []string{a, b}
		var sources, methods []string
		for _, m := range ms {
			if m.metric.Unit != u.unit {
				continue
			}
			k := kindsLabel(m.kinds)
			ans := answers[k]
			v := ans.values[m.metric.Name]
			d, pct, ok := Delta(v[0], v[1])
			t.add([]string{m.report, k, m.metric.Name}, v[0], v[1], d, pct)
			if !ok {
				t.flag("b is 0: no relative change")
			}
			if !slices.Contains(sources, ans.source) {
				sources = append(sources, ans.source)
			}
			if m.metric.Quantile() && !slices.Contains(methods, ans.method) {
				methods = append(methods, ans.method)
			}
		}
		if len(t.Rows) == 0 {
			continue
		}
		t.Source, t.Method = strings.Join(sources, ", "), strings.Join(methods, "; ")
		r.Tables = append(r.Tables, t)
	}

	flips, err := evaluators.Flips(ctx, conn, trendFilter(o), a, b)
	if err != nil {
		return fmt.Errorf("reports: diff: %w", err)
	}
	t := newTable("Cases that flipped: "+label, o, []string{"dataset", "case_id", "rule", "flip", "run_a", "run_b"}, []events.Metric{
		metric("a", "count", "1 when the case passed the rule in "+a), metric("b", "count", "1 when it passed in "+b)})
	t.Query.Filter.Releases = []string{a, b}
	var regressed, fixed int
	for _, x := range flips {
		flip := "fail → pass"
		if x.Was {
			flip = "pass → fail"
			regressed++
		} else {
			fixed++
		}
		t.add([]string{x.Dataset, x.CaseID, x.RuleID, flip, x.RunID, x.AgainstRunID}, b2f(x.Now), b2f(x.Was))
	}
	t.Note = "a case passed a rule in a release when every result of it there passed"
	r.Tables = append(r.Tables, t)
	r.Notes = append(r.Notes, fmt.Sprintf("%s against %s: %d case results flipped pass → fail, %d fail → pass", a, b, regressed, fixed),
		"a and b are the two releases' values over the window; delta = a - b; delta_pct = (a - b) / b, 0 and flagged where b is 0")
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
