package reports

import (
	"context"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
)

// Tables that are not the query model's (its catalog aggregates events
// one by one): citation failures from eval_results, missing-evidence runs
// (a run-level judgment) and ingest health from ingest_log. Each is a
// Table like any other, so every format draws it and --fail-on reads it.

// Titles of the tables this file adds.
const (
	TitleCitationFailures = "Citation failures by release"
	TitleMissingEvidence  = "Missing-evidence runs by release"
	TitleIngests          = "Ingests by source"
	TitleUnapproved       = "Side-effect calls without approval"
	TitleCostPerCase      = "Cost per passing case"
	TitleRedactionTypes   = "Redactions by type"
)

func count(name, doc string) events.Metric { return events.Metric{Name: name, Unit: "count", Doc: doc} }
func rate(name, doc string) events.Metric  { return events.Metric{Name: name, Unit: "ratio", Doc: doc} }

// ownTable is a table of dims × metrics read from source over o's window.
func ownTable(title, source string, o Options, dims []string, metrics ...events.Metric) *Table {
	q := Query{By: dims, Filter: o.Filter}
	q.Filter.Since, q.Filter.Until, q.Filter.TZ = o.Window.Since, o.Window.Until, o.Window.TZ
	for _, m := range metrics {
		q.Metrics = append(q.Metrics, m.Name)
	}
	return &Table{Title: title, Query: q, Dims: dims, Metrics: metrics, Rows: []events.AggRow{}, Source: source}
}

// CitationRules are the versions of the rules in rs marked check:
// citation.
func CitationRules(rs *evaluators.RuleSet) []evaluators.RuleVersion {
	var out []evaluators.RuleVersion
	if rs == nil {
		return nil
	}
	for _, r := range rs.Rules {
		if r.Check == evaluators.CheckCitation {
			out = append(out, evaluators.RuleVersion{ID: r.ID, Version: r.Version})
		}
	}
	return out
}

// ragControls adds the citation failures of the rules marked check:
// citation (Options.Rules) and the missing-evidence runs, per release.
func ragControls(ctx context.Context, conn driver.Conn, r *Report, o Options) error {
	cite := ownTable(TitleCitationFailures, "eval_results", o, []string{"release", "rule_id"},
		count("results", "runs the rule judged"), count("citation_failures", "runs that failed the rule (or it could not judge)"),
		rate("failure_rate", "citation_failures / results"))
	rules := CitationRules(o.Rules)
	switch {
	case o.Rules == nil:
		cite.Note = "no rules given (--rules DIR): citation checks are the rules marked check: citation"
	case len(rules) == 0:
		cite.Note = "no rule is marked check: citation"
	default:
		fails, err := evaluators.RuleFailures(ctx, conn, evaluators.FailureFilter{Rules: rules, Since: o.Window.Since, Until: o.Window.Until,
			Tenant: o.Filter.Tenant, Environment: o.Filter.Environment, Releases: o.Filter.Releases})
		if err != nil {
			return fmt.Errorf("reports: %s: %w", cite.Title, err)
		}
		for _, f := range fails {
			cite.Rows = append(cite.Rows, events.AggRow{Dims: []string{f.Release, f.RuleID},
				Values: []float64{float64(f.Results), float64(f.Failed), ratio(int(f.Failed), int(f.Results))}})
		}
		cite.Note = "the rule versions in --rules; results by when their run started"
	}
	missing := ownTable(TitleMissingEvidence, "agent_events", o, []string{"release"},
		count("retrieving_runs", "runs with a retrieval"), count("missing_evidence_runs", "runs whose every retrieval returned no source"),
		rate("missing_evidence_rate", "missing_evidence_runs / retrieving_runs"))
	ev, err := events.MissingEvidence(ctx, conn, o.windowFilter(), o.Exact)
	if err != nil {
		return fmt.Errorf("reports: %s: %w", missing.Title, err)
	}
	for _, e := range ev {
		missing.Rows = append(missing.Rows, events.AggRow{Dims: []string{e.Release},
			Values: []float64{float64(e.Runs), float64(e.Missing), ratio(int(e.Missing), int(e.Runs))}})
	}
	r.Tables = append(r.Tables, cite, missing)
	r.Notes = append(r.Notes, o.ignoresEventFilters("the missing-evidence table")...)
	return nil
}

// ingestHealth adds the ingests per source: rejected, expired and
// duplicate events as ingest told its callers.
func ingestHealth(ctx context.Context, conn driver.Conn, r *Report, o Options) error {
	t := ownTable(TitleIngests, "ingest_log", o, []string{"source"},
		count("ingests", "ingests (files, requests, Kafka batches)"), count("accepted", "events stored"),
		count("rejected", "events refused (invalid)"), count("expired", "events already past their retention"),
		count("duplicates", "events already stored (dropped)"), count("conflicts", "event ids stored with other content"))
	got, err := events.IngestHealth(ctx, conn, o.Window.Since, o.Window.Until)
	if err != nil {
		return fmt.Errorf("reports: %s: %w", t.Title, err)
	}
	for _, s := range got {
		t.Rows = append(t.Rows, events.AggRow{Dims: []string{s.Source}, Values: []float64{float64(s.Ingests), float64(s.Accepted),
			float64(s.Rejected), float64(s.Expired), float64(s.Duplicates), float64(s.Conflicts)}})
	}
	f := o.Filter
	if f.Tenant != "" || f.Environment != "" || len(f.Releases) > 0 || f.Model != "" || f.Tool != "" || len(f.Attrs) > 0 {
		t.Note = "the store's ingests: ingest_log has no tenant, release or attributes, so the filter does not apply"
	}
	r.Tables = append(r.Tables, t)
	return nil
}

// traceQuality adds what the quality report reads besides its tables:
// redactions by type, and the ingests.
func traceQuality(ctx context.Context, conn driver.Conn, r *Report, o Options) error {
	if err := redactionTypes(ctx, conn, r, o); err != nil {
		return err
	}
	return ingestHealth(ctx, conn, r, o)
}

// redactionTypes adds the secrets ingest replaced, per source, release
// and type.
func redactionTypes(ctx context.Context, conn driver.Conn, r *Report, o Options) error {
	t := ownTable(TitleRedactionTypes, "agent_events", o, []string{"source", "release", "type"},
		count("redactions", "secrets of the type replaced by a marker at ingest"))
	f := o.windowFilter()
	f.Model, f.Tool = o.Filter.Model, o.Filter.Tool // events of the model or tool
	got, err := events.RedactionsByType(ctx, conn, f, o.Exact)
	if err != nil {
		return fmt.Errorf("reports: %s: %w", t.Title, err)
	}
	for _, x := range got {
		t.Rows = append(t.Rows, events.AggRow{Dims: []string{x.Source, x.Release, x.Type}, Values: []float64{float64(x.Count)}})
	}
	r.Tables = append(r.Tables, t)
	return nil
}

// toolApprovals adds, per tool, the side-effect calls made without an
// approval granted before them in their run: in all, and among the calls
// whose authorization asked for one.
func toolApprovals(ctx context.Context, conn driver.Conn, r *Report, o Options) error {
	t := ownTable(TitleUnapproved, "agent_events", o, []string{"tool"},
		count("side_effect_calls", "tool calls with a write or external side effect"),
		count("approval_required", "of them, authorization approval_required"),
		count("without_approval", "side-effect calls with no approved approval earlier in their run"),
		count("required_without_approval", "of those, calls that required approval: what policy should have stopped"))
	got, err := events.UnapprovedSideEffects(ctx, conn, o.windowFilter(), o.Exact)
	if err != nil {
		return fmt.Errorf("reports: %s: %w", t.Title, err)
	}
	for i, x := range got {
		t.Rows = append(t.Rows, events.AggRow{Dims: []string{x.Tool},
			Values: []float64{float64(x.Calls), float64(x.Required), float64(x.Unapproved), float64(x.RequiredUnapproved)}})
		if x.RequiredUnapproved > 0 {
			if t.Flags == nil {
				t.Flags = map[int][]string{}
			}
			t.Flags[i] = append(t.Flags[i], fmt.Sprintf("%d call(s) needed an approval they never got", x.RequiredUnapproved))
		}
	}
	r.Tables = append(r.Tables, t)
	r.Notes = append(r.Notes, o.ignoresEventFilters("the side-effect approvals table")...)
	return nil
}

// costPerPassingCase adds, per dataset version and release, what the
// dataset runs cost and how many of their cases passed every rule scored
// on them: the cost of one passing case. Cases no rule scored count as
// not passing; a release with no passing case has no cost per case (0,
// flagged).
func costPerPassingCase(ctx context.Context, conn driver.Conn, r *Report, o Options) error {
	t := ownTable(TitleCostPerCase, "agent_events, eval_results", o, []string{"dataset", "release"},
		count("runs", "dataset runs"), events.Metric{Name: "cost_usd", Unit: "usd", Doc: "their cost"},
		count("passing_cases", "cases whose every scored rule passed"),
		events.Metric{Name: "cost_per_passing_case", Unit: "usd", Doc: "cost_usd / passing_cases"})
	q := t.Query
	q.Metrics = []string{"runs", "cost_usd"}
	costs, err := Run(ctx, conn, t.Title, q, o.Budget)
	if err != nil {
		return err
	}
	outcomes, err := evaluators.CaseOutcomes(ctx, conn, trendFilter(o))
	if err != nil {
		return fmt.Errorf("reports: %s: %w", t.Title, err)
	}
	passing := map[[2]string]int{}
	for _, c := range outcomes {
		if c.Total > 0 && c.Passed == c.Total {
			passing[[2]string{c.Dataset, c.Release}]++
		}
	}
	for _, row := range costs.Rows {
		if row.Dims[0] == "" {
			continue // runs of no dataset case
		}
		name, _, _ := strings.Cut(row.Dims[0], "@") // outcomes name the dataset, runs its version
		n := passing[[2]string{name, row.Dims[1]}]
		per := 0.0
		if n > 0 {
			per = row.Values[1] / float64(n)
		}
		t.Rows = append(t.Rows, events.AggRow{Dims: row.Dims, Values: []float64{row.Values[0], row.Values[1], float64(n), per}})
		if n == 0 {
			if t.Flags == nil {
				t.Flags = map[int][]string{}
			}
			t.Flags[len(t.Rows)-1] = []string{"no passing case (scored with `evalhouse eval`?)"}
		}
	}
	t.Source, t.Method = costs.Source+", eval_results", costs.Method
	r.Tables = append(r.Tables, t)
	return nil
}
