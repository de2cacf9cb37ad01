package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/datasets/dsref"
	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/gate"
)

// The evals report: eval results across releases (evaluators' trend
// readers), each release's gate verdict (gate.Last), and the fixtures
// promoted from incidents (gate.DatasetFixtures). Its tables are not
// query-model tables: they read eval_results, not agent_events, so they
// are built here and drawn by every format like any other.

func init() {
	// Appended rather than listed in presets: the diff report reads the
	// other presets' sections, which a literal could not refer to.
	presets = append(presets,
		preset{name: "evals", title: "Evals", doc: "pass rate per rule and dataset version across releases, thresholds, margins, gate verdicts; case × release; incident fixtures and their regression escapes", extra: buildEvals},
		preset{name: "diff", title: "Release diff", doc: "every cost, latency, tools, policy, rag and quality metric of --release against --against, with deltas; the cases that flipped", extra: buildDiff})
}

// NoVerdict is the verdict dimension of a release with no gate decision
// on the dataset version.
const NoVerdict = "none"

// Fixture escape states, the escaped dimension of the fixtures table.
const (
	Escaped    = "yes"     // a run of the fixture case failed a rule
	NotEscaped = "no"      // every run of it passed
	NotRun     = "not run" // no release in the window ran it
)

func metric(name, unit, doc string) events.Metric {
	return events.Metric{Name: name, Unit: unit, Doc: doc}
}

// evalsMetrics are the columns of the evals tables, by table.
var (
	passRateMetrics = []events.Metric{
		metric("pass_rate", "ratio", "passed results / results"),
		metric("threshold", "ratio", "the lowest pass rate the gate config accepts (0 with no check)"),
		metric("margin", "ratio", "pass_rate - threshold (0 with no check)"),
		metric("cases", "count", "results: one per case scored"),
	}
	decisionMetrics = []events.Metric{
		metric("exit_code", "count", "the gate's exit code"),
		metric("failed_checks", "count", "checks that failed or held"),
		metric("cases_scored", "count", "dataset cases scored"),
	}
	heatmapMetrics = []events.Metric{
		metric("passed", "count", "1 when every rule passed the case, else 0"),
		metric("pass_rate", "ratio", "passed results / results"),
		metric("results", "count", "results: one per rule"),
	}
	fixtureMetrics = []events.Metric{
		metric("results", "count", "results of the fixture case in the release"),
		metric("failures", "count", "failing results"),
	}
)

// trendFilter is the report's window and filter as the trend readers take
// it (model, tool and attributes do not apply to eval results).
func trendFilter(o Options) evaluators.TrendFilter {
	return evaluators.TrendFilter{Since: o.Window.Since, Until: o.Window.Until, Tenant: o.Filter.Tenant,
		Environment: o.Filter.Environment, Releases: o.Filter.Releases}
}

// newTable is an empty table of the report's window.
func newTable(title string, o Options, dims []string, ms []events.Metric) *Table {
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	f := Filter{Since: o.Window.Since, Until: o.Window.Until, TZ: o.Window.TZ, Tenant: o.Filter.Tenant,
		Environment: o.Filter.Environment, Releases: o.Filter.Releases}
	return &Table{Title: title, Query: Query{Metrics: names, By: dims, Filter: f}, Dims: dims, Metrics: ms, Source: "eval_results"}
}

func (t *Table) add(dims []string, values ...float64) {
	t.Rows = append(t.Rows, events.AggRow{Dims: dims, Values: values})
}

func (t *Table) flag(msg string) {
	if t.Flags == nil {
		t.Flags = map[int][]string{}
	}
	i := len(t.Rows) - 1
	t.Flags[i] = append(t.Flags[i], msg)
}

func datasetRef(name string, version uint32) string {
	if name == "" {
		return "(production)"
	}
	return dsref.Format(name, version)
}

// Threshold is the lowest pass rate cfg accepts for rule on a dataset
// version with cases results: its min_pass_rate, or (cases −
// max_failures) / cases, the stricter when it has both; check spells the
// check as the config does. ok is false when cfg is nil, judges another
// dataset (or another pinned version), or has no check on rule.
func Threshold(cfg *gate.Config, dataset string, version uint32, rule string, cases int) (threshold float64, check string, ok bool) {
	if cfg == nil || dataset == "" {
		return 0, "", false
	}
	ref, err := dsref.Parse(cfg.Dataset)
	if err != nil || ref.Name != dataset || ref.Pinned() && ref.Version != version {
		return 0, "", false
	}
	var spelled []string
	for _, ch := range cfg.Checks {
		if ch.Rule != rule {
			continue
		}
		if ch.MinPassRate != nil {
			threshold, ok = max(threshold, *ch.MinPassRate), true
			spelled = append(spelled, fmt.Sprintf("min_pass_rate %g", *ch.MinPassRate))
		}
		if ch.MaxFailures != nil {
			t := 0.0
			if cases > 0 {
				t = max(0, float64(cases-*ch.MaxFailures)/float64(cases))
			}
			threshold, ok = max(threshold, t), true
			spelled = append(spelled, fmt.Sprintf("max_failures %d", *ch.MaxFailures))
		}
	}
	return threshold, strings.Join(spelled, ", "), ok
}

// verdictKey names one release's gate on one dataset version.
type verdictKey struct {
	release, dataset string
	version          uint32
}

func buildEvals(ctx context.Context, conn driver.Conn, r *Report, o Options) error {
	f := trendFilter(o)
	rates, err := evaluators.RulePassRates(ctx, conn, f)
	if err != nil {
		return fmt.Errorf("reports: evals: %w", err)
	}
	outcomes, err := evaluators.CaseOutcomes(ctx, conn, f)
	if err != nil {
		return fmt.Errorf("reports: evals: %w", err)
	}
	decisions := map[verdictKey]*gate.Decision{}
	var keys []verdictKey
	for _, x := range rates {
		k := verdictKey{x.Release, x.Dataset, x.DatasetVersion}
		if _, seen := decisions[k]; seen || x.Dataset == "" {
			continue
		}
		d, err := gate.Last(ctx, conn, x.Release, dsref.Format(x.Dataset, x.DatasetVersion))
		if err != nil {
			return fmt.Errorf("reports: evals: gate decision of %s on %s: %w", x.Release, dsref.Format(x.Dataset, x.DatasetVersion), err)
		}
		decisions[k] = d
		keys = append(keys, k)
	}
	verdict := func(k verdictKey) string {
		if d := decisions[k]; d != nil {
			return string(d.Verdict)
		}
		return NoVerdict
	}

	t := newTable("Pass rate by rule and dataset version", o, []string{"rule", "rule_version", "dataset", "release", "verdict", "check"}, passRateMetrics)
	for _, x := range rates {
		pr := ratio(x.Passed, x.Total)
		th, check, ok := Threshold(o.Gate, x.Dataset, x.DatasetVersion, x.RuleID, x.Total)
		margin := pr - th
		if !ok {
			th, margin, check = 0, 0, "none"
		}
		t.add([]string{x.RuleID, x.RuleVersion, datasetRef(x.Dataset, x.DatasetVersion), x.Release, verdict(verdictKey{x.Release, x.Dataset, x.DatasetVersion}), check},
			pr, th, margin, float64(x.Total))
		if ok && margin < 0 {
			t.flag("below threshold")
		}
	}
	if o.Gate == nil {
		t.Note = "no gate config (--gate): no thresholds"
	} else {
		t.Note = "thresholds from the gate config on " + o.Gate.Dataset
	}
	r.Tables = append(r.Tables, t)

	first := map[string]time.Time{} // release → its first scored run
	for _, x := range rates {
		if v, ok := first[x.Release]; !ok || x.FirstRun.Before(v) {
			first[x.Release] = x.FirstRun
		}
	}
	slices.SortStableFunc(keys, func(a, b verdictKey) int {
		return cmp.Or(first[a.release].Compare(first[b.release]), cmp.Compare(a.release, b.release),
			cmp.Compare(a.dataset, b.dataset), cmp.Compare(a.version, b.version))
	})
	t = newTable("Gate decisions by release", o, []string{"release", "dataset", "verdict", "decided_at", "commit"}, decisionMetrics)
	t.Source = "gate_decisions"
	for _, k := range keys {
		d := decisions[k]
		if d == nil {
			t.add([]string{k.release, dsref.Format(k.dataset, k.version), NoVerdict, "", ""}, 0, 0, 0)
			continue
		}
		failed := 0
		for _, c := range d.Checks {
			if c.Status == gate.Fail || c.Status == gate.Hold {
				failed++
			}
		}
		t.add([]string{k.release, dsref.Format(k.dataset, k.version), string(d.Verdict), d.DecidedAt.UTC().Format(time.RFC3339), d.Commit},
			float64(d.ExitCode), float64(failed), float64(d.Cases.Scored))
	}
	r.Tables = append(r.Tables, t)

	t = newTable("Cases by release", o, []string{"dataset", "case_id", "release", "run_id"}, heatmapMetrics)
	for _, c := range outcomes {
		passed := 0.0
		if c.Passed == c.Total {
			passed = 1
		}
		t.add([]string{c.Dataset, c.CaseID, c.Release, c.RunID}, passed, ratio(c.Passed, c.Total), float64(c.Total))
	}
	t.Note = "a case passed a release when every rule passed it, on the highest dataset version the release ran"
	r.Tables = append(r.Tables, t)

	fx, err := fixtureTable(ctx, conn, r, o, outcomes)
	if err != nil {
		return err
	}
	r.Tables = append(r.Tables, fx)
	if len(rates) == 0 {
		r.Notes = append(r.Notes, "no eval results in the window: run `evalhouse eval` on a dataset version")
	}
	return nil
}

// fixtureTable lists every fixture of the datasets the outcomes name (as
// their latest published versions hold them), with each release's run of
// it; a failing run is a regression escape, noted in r.
func fixtureTable(ctx context.Context, conn driver.Conn, r *Report, o Options, outcomes []evaluators.CaseOutcome) (*Table, error) {
	t := newTable("Incident fixtures", o, []string{"dataset", "case_id", "incident", "added_in", "release", "escaped", "failed_rules"}, fixtureMetrics)
	var names []string
	for _, c := range outcomes {
		if !slices.Contains(names, c.Dataset) {
			names = append(names, c.Dataset)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		fixtures, err := gate.DatasetFixtures(ctx, conn, name)
		if errors.Is(err, datasets.ErrNotFound) {
			continue // results of a dataset the store no longer holds
		}
		if err != nil {
			return nil, fmt.Errorf("reports: evals: %w", err)
		}
		slices.SortFunc(fixtures, func(a, b gate.Fixture) int { return cmp.Compare(a.CaseID, b.CaseID) })
		for _, fx := range fixtures {
			ran := false
			for _, c := range outcomes {
				if c.Dataset != name || c.CaseID != fx.CaseID {
					continue
				}
				ran = true
				state := NotEscaped
				if c.Passed < c.Total {
					state = Escaped
					r.Notes = append(r.Notes, fmt.Sprintf("regression escape: fixture %s/%s (incident %s) failed %s in release %s (run %s)",
						name, fx.CaseID, fx.Incident, strings.Join(c.FailedRules, ", "), c.Release, c.RunID))
				}
				t.add([]string{name, fx.CaseID, fx.Incident, dsref.Format(name, fx.AddedIn), c.Release, state, strings.Join(c.FailedRules, " ")},
					float64(c.Total), float64(c.Total-c.Passed))
				if state == Escaped {
					t.flag("regression escape")
				}
			}
			if !ran {
				t.add([]string{name, fx.CaseID, fx.Incident, dsref.Format(name, fx.AddedIn), "", NotRun, ""}, 0, 0)
			}
		}
	}
	t.Source = "eval_results, dataset_items"
	return t, nil
}
