package reports

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/datasets/dsref"
	"github.com/evalhouse/evalhouse/events"
)

// The policy report's ground truth: runs of dataset cases whose
// expected.policy_decision names a decision, scored against the decision
// the run made (docs/reports.md, Policy ground truth).

// ExpectedDecisionKey is the key of a case's expected object that holds
// the decision its run should make.
const ExpectedDecisionKey = "policy_decision"

// Policy versions a matrix is filed under when a run's decision has none.
const (
	// NoPolicyEvent files the runs that made no policy decision: nothing
	// stopped them, so they count as allow.
	NoPolicyEvent = "(no policy event)"
	// Unversioned files decisions whose event named no policy_version.
	Unversioned = "(unversioned)"
)

// MaxMisses bounds the misses a matrix lists; its counts stay exact.
const MaxMisses = 100

// windowFilter is the report's window and filter for readers that judge
// whole runs: the model and tool filters select events, not runs, and do
// not apply.
func (o Options) windowFilter() events.AggFilter {
	f := o.Filter
	return events.AggFilter{Since: o.Window.Since, Until: o.Window.Until, Tenant: f.Tenant, Environment: f.Environment,
		Releases: f.Releases, Attrs: f.Attrs}
}

// ignoresEventFilters is the note of a table that judges whole runs when
// the report filters by model or tool.
func (o Options) ignoresEventFilters(what string) []string {
	if o.Filter.Model == "" && o.Filter.Tool == "" {
		return nil
	}
	return []string{what + " judges whole runs: --model and --tool do not apply to it"}
}

// policyGroundTruth adds the confusion matrices, one per policy version.
// The engine counts the runs; only each matrix's first misses come back
// as runs.
func policyGroundTruth(ctx context.Context, conn driver.Conn, r *Report, o Options) error {
	f := o.windowFilter()
	refs, err := events.RunDatasets(ctx, conn, f, o.Exact)
	if err != nil {
		return fmt.Errorf("reports: policy ground truth: %w", err)
	}
	raw, err := datasets.New(conn).ExpectedField(ctx, refs, ExpectedDecisionKey)
	if err != nil {
		return fmt.Errorf("reports: policy ground truth: %w", err)
	}
	counts, err := events.DecisionCounts(ctx, conn, f, o.Exact, expectedDecisions(raw), MaxMisses)
	if err != nil {
		return fmt.Errorf("reports: policy ground truth: %w", err)
	}
	r.Matrices, r.Notes = scoreDecisions(counts, r.Notes)
	r.Notes = append(r.Notes, o.ignoresEventFilters("the ground-truth matrix")...)
	return nil
}

// expectedDecisions decodes each case's expected decision; one that is
// not a decision string is kept as "(invalid)", to be counted, not scored.
func expectedDecisions(raw map[string]map[string]json.RawMessage) map[string]map[string]string {
	out := map[string]map[string]string{}
	for ds, cases := range raw {
		out[ds] = map[string]string{}
		for c, v := range cases {
			var want string
			if json.Unmarshal(v, &want) != nil || decisionIndex(want) < 0 {
				want = invalidDecision
			}
			out[ds][c] = want
		}
	}
	return out
}

const invalidDecision = "(invalid)"

// scoreDecisions files each group of runs in its policy version's matrix,
// versions in order, lists each matrix's first MaxMisses misses in (tenant,
// run_id) order, and returns notes on what could not be scored.
func scoreDecisions(counts []events.DecisionCount, notes []string) ([]*Matrix, []string) {
	byVersion := map[string]*Matrix{}
	type miss struct {
		run  events.RunDecision
		want string
	}
	wrong := map[string][]miss{}
	var invalid, undecided int
	for _, c := range counts {
		if c.Expected == invalidDecision || decisionIndex(c.Expected) < 0 {
			invalid += c.Runs
			continue
		}
		actual, version := c.Decision, c.PolicyVersion
		switch {
		case actual == "":
			actual, version = "allow", NoPolicyEvent
			undecided += c.Runs
		case version == "":
			version = Unversioned
		}
		m := byVersion[version]
		if m == nil {
			m = &Matrix{PolicyVersion: version}
			byVersion[version] = m
		}
		if m.AddN(c.Expected, actual, c.Runs) != "" {
			for _, w := range c.Wrong {
				w.Decision = actual
				wrong[version] = append(wrong[version], miss{w, c.Expected})
			}
		}
	}
	for version, m := range byVersion {
		ms := wrong[version]
		slices.SortFunc(ms, func(a, b miss) int { return events.ByRun(a.run, b.run) })
		for _, x := range ms[:min(len(ms), MaxMisses)] {
			kind := missKind(x.want, x.run.Decision)
			m.Misses = append(m.Misses, Miss{Kind: kind, RunID: x.run.RunID, TraceID: x.run.TraceID, Dataset: x.run.Dataset,
				CaseID: x.run.CaseID, Expected: x.want, Actual: x.run.Decision, Promote: promoteCommand(kind, x.run, x.want)})
		}
		m.MissesOmitted = m.FalseAllow + m.FalseDeny - len(m.Misses)
	}
	out := slices.Collect(maps.Values(byVersion))
	slices.SortFunc(out, func(a, b *Matrix) int { return cmp.Compare(a.PolicyVersion, b.PolicyVersion) })
	if undecided > 0 {
		notes = append(notes, fmt.Sprintf("%d run(s) of cases expecting a policy decision made none: counted as allow, under %s", undecided, NoPolicyEvent))
	}
	if invalid > 0 {
		notes = append(notes, fmt.Sprintf("%d run(s) of cases whose expected.%s is not one of %s: not scored", invalid, ExpectedDecisionKey, strings.Join(Decisions, ", ")))
	}
	return out, notes
}

// promoteCommand is the command line that makes a missed run a fixture:
// open an incident on its trace, then promote the incident (INC stands
// for the id `incident open` prints) into the case's dataset with the
// decision the case expects. Every value from the data is shell-quoted.
func promoteCommand(kind string, run events.RunDecision, want string) string {
	severity := "sev3"
	if kind == "false_allow" {
		severity = "sev2"
	}
	name := run.Dataset
	if ref, err := dsref.Parse(run.Dataset); err == nil {
		name = ref.Name
	}
	title := fmt.Sprintf("%s: %s/%s", strings.ReplaceAll(kind, "_", " "), run.Dataset, run.CaseID)
	expect, _ := json.Marshal(map[string]string{ExpectedDecisionKey: want})
	return fmt.Sprintf("evalhouse incident open --trace %s --title %s --severity %s && evalhouse incident promote INC --dataset %s --expect %s",
		shellQuote(run.TraceID), shellQuote(title), severity, shellQuote(name), shellQuote(string(expect)))
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9@%+=:,./_-]+$`)

// shellQuote is s as one shell word.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
