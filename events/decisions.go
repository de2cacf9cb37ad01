package events

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// The policy ground truth's readers: each dataset run's decision, the most
// restrictive of its policy events, and those decisions counted against
// what their cases expect. They read run_summaries, which keeps each run's
// decision, unless exact or the filter names an attribute (raw rows then,
// FINAL when exact); on run_summaries the window applies to the run's
// start (its first event) instead of its run event.

// RunDecision is one dataset run's policy outcome: the case it executed
// and its decision, the most restrictive of its policy events.
type RunDecision struct {
	Tenant, RunID, TraceID string
	// Dataset is the run's dataset version ("name@vN"); CaseID its case.
	Dataset, CaseID string
	// Decision is "deny", "require_approval" or "allow" (most restrictive
	// first), or "" when the run made no policy decision.
	Decision string
	// PolicyVersion is the policy version of the deciding event ("" when
	// there is none).
	PolicyVersion string
}

// decisionRanks name the statements' ranks.
var decisionRanks = []string{"", "allow", "require_approval", "deny"}

func decisionName(rank uint8) string {
	if int(rank) < len(decisionRanks) {
		return decisionRanks[rank]
	}
	return ""
}

// decisionQuery is the dataset runs' statement data for f.
func decisionQuery(f AggFilter, exact bool) (outcomeData, *binder) {
	if exact || len(f.Attrs) > 0 {
		return outcomeQuery(f, exact)
	}
	f.Kinds = nil
	b := &binder{}
	return outcomeData{Where: f.conditions("started_at", false, b.bind), Rollup: true}, b
}

// RunDatasets lists the dataset versions the dataset runs in f executed.
func RunDatasets(ctx context.Context, conn driver.Conn, f AggFilter, exact bool) ([]string, error) {
	d, b := decisionQuery(f, exact)
	rows, err := conn.Query(ctx, stmts.Render("run_datasets", d), b.args...)
	if err != nil {
		return nil, fmt.Errorf("events: datasets of runs: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ds string
		if err := rows.Scan(&ds); err != nil {
			return nil, fmt.Errorf("events: datasets of runs: %w", err)
		}
		out = append(out, ds)
	}
	return out, rows.Err()
}

// DecisionCount is the dataset runs of one policy version that made one
// decision where their cases expected one.
type DecisionCount struct {
	// PolicyVersion is the deciding event's ("" when it named none, or
	// the runs made no decision).
	PolicyVersion string
	// Decision is the runs' ("" when they made none); Expected their
	// cases' (any string the expectation held).
	Decision, Expected string
	Runs               int
	// Wrong are the first of the runs whose decision is not the expected
	// one (no decision counting as allow), in (tenant, run_id) order.
	Wrong []RunDecision
}

// DecisionCounts counts the dataset runs in f whose case expects a
// decision: expected maps a dataset version and case id to the decision
// the case expects (a run of a case not in it is not counted). Each group
// lists its first firstWrong wrong runs. Groups come in (version,
// decision, expected) order.
func DecisionCounts(ctx context.Context, conn driver.Conn, f AggFilter, exact bool, expected map[string]map[string]string, firstWrong int) ([]DecisionCount, error) {
	var cases, wants []string
	for _, ds := range slices.Sorted(maps.Keys(expected)) {
		for _, c := range slices.Sorted(maps.Keys(expected[ds])) {
			cases, wants = append(cases, ds+"\x00"+c), append(wants, expected[ds][c])
		}
	}
	if len(cases) == 0 {
		return nil, nil
	}
	d, b := decisionQuery(f, exact)
	args := append(b.args, clickhouse.Named("cases", cases), clickhouse.Named("wants", wants),
		clickhouse.Named("misses", max(firstWrong, 1)))
	// The cases travel in the statement's text: give it room.
	size := 1 << 20
	for _, c := range cases {
		size += 2*len(c) + 16
	}
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": size}))
	rows, err := conn.Query(ctx, stmts.Render("decision_counts", d), args...)
	if err != nil {
		return nil, fmt.Errorf("events: decision counts: %w", err)
	}
	defer rows.Close()
	var out []DecisionCount
	for rows.Next() {
		var (
			c     DecisionCount
			rank  uint8
			runs  uint64
			wrong [][]any
		)
		if err := rows.Scan(&c.PolicyVersion, &rank, &c.Expected, &runs, &wrong); err != nil {
			return nil, fmt.Errorf("events: decision counts: %w", err)
		}
		c.Decision, c.Runs = decisionName(rank), int(runs)
		for _, w := range wrong {
			r := RunDecision{Decision: c.Decision, PolicyVersion: c.PolicyVersion}
			for i, p := range []*string{&r.Tenant, &r.RunID, &r.TraceID, &r.Dataset, &r.CaseID} {
				*p, _ = w[i].(string)
			}
			c.Wrong = append(c.Wrong, r)
		}
		if firstWrong == 0 {
			c.Wrong = nil
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: decision counts: %w", err)
	}
	return out, nil
}

// ByRun orders runs by (tenant, run_id).
func ByRun(a, b RunDecision) int {
	return cmp.Or(strings.Compare(a.Tenant, b.Tenant), strings.Compare(a.RunID, b.RunID))
}
