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
func policyGroundTruth(ctx context.Context, conn driver.Conn, r *Report, o Options) error {
	runs, err := events.RunDecisions(ctx, conn, o.windowFilter(), o.Exact)
	if err != nil {
		return fmt.Errorf("reports: policy ground truth: %w", err)
	}
	var refs []string
	for _, run := range runs {
		if !slices.Contains(refs, run.Dataset) {
			refs = append(refs, run.Dataset)
		}
	}
	expected, err := datasets.New(conn).ExpectedField(ctx, refs, ExpectedDecisionKey)
	if err != nil {
		return fmt.Errorf("reports: policy ground truth: %w", err)
	}
	r.Matrices, r.Notes = scoreDecisions(runs, expected, r.Notes)
	r.Notes = append(r.Notes, o.ignoresEventFilters("the ground-truth matrix")...)
	return nil
}

// scoreDecisions files each run whose case expects a decision in its
// policy version's matrix, versions in order, and returns notes on what
// could not be scored.
func scoreDecisions(runs []events.RunDecision, expected map[string]map[string]json.RawMessage, notes []string) ([]*Matrix, []string) {
	byVersion := map[string]*Matrix{}
	var invalid, undecided int
	for _, run := range runs {
		raw, ok := expected[run.Dataset][run.CaseID]
		if !ok {
			continue
		}
		var want string
		if json.Unmarshal(raw, &want) != nil || decisionIndex(want) < 0 {
			invalid++
			continue
		}
		actual, version := run.Decision, run.PolicyVersion
		switch {
		case actual == "":
			actual, version = "allow", NoPolicyEvent
			undecided++
		case version == "":
			version = Unversioned
		}
		m := byVersion[version]
		if m == nil {
			m = &Matrix{PolicyVersion: version}
			byVersion[version] = m
		}
		kind := m.Add(want, actual)
		if kind == "" {
			continue
		}
		if len(m.Misses) == MaxMisses {
			m.MissesOmitted++
			continue
		}
		m.Misses = append(m.Misses, Miss{Kind: kind, RunID: run.RunID, TraceID: run.TraceID, Dataset: run.Dataset, CaseID: run.CaseID,
			Expected: want, Actual: actual, Promote: promoteCommand(kind, run, want)})
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
