// Package runs is the run explorer for incident responders: the data of
// `evalhouse runs` (a List of runs with outcome, cost, duration, failing
// rules and policy decisions) and of `evalhouse run show` (a Tree: one
// run's events nested by parent span, in time order, with its eval results
// and contract gaps). It builds the data from the table owners' readers
// (events, evaluators) and renders it as text; the types marshal to the
// JSON docs/reports.md documents, and any other renderer (the /ui pages)
// draws the same values. Payloads are shown as ingest stored them:
// redacted.
package runs

import (
	"context"
	"errors"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
)

// Errors a caller maps to its own terms (the CLI to exit codes).
var (
	// ErrNotFound: no run or trace has the id asked for.
	ErrNotFound = errors.New("runs: not found")
	// ErrAmbiguous: the id names more than one run (in several tenants,
	// or a trace of several runs); name the tenant, or a run id.
	ErrAmbiguous = errors.New("runs: ambiguous id")
)

// Filter selects the runs of a List: the events.RunQuery fields, and
// FailedRule. Limit 0 lists every run.
type Filter struct {
	events.RunQuery
	// FailedRule keeps the runs whose latest result of this rule id failed
	// (or erred); "" for any.
	FailedRule string
}

// Run is one run as the list shows it: the events owner's summary (its
// JSON fields inline) and the rules it fails.
type Run struct {
	events.RunSummary
	// FailingRules are the ids of the rules whose latest result on the run
	// failed or erred, by id; empty when none failed or none scored it.
	FailingRules []string `json:"failing_rules"`
}

// List is the runs a Filter selects, newest first.
type List struct {
	Runs []Run `json:"runs"`
	// Limit is the filter's limit (0: none); More says more runs match
	// than were listed.
	Limit int  `json:"limit"`
	More  bool `json:"more"`
}

// BuildList reads the runs f selects, with the rules each fails.
func BuildList(ctx context.Context, conn driver.Conn, f Filter) (*List, error) {
	q := f.RunQuery
	if f.FailedRule != "" {
		keys, err := evaluators.FailingRuns(ctx, conn, evaluators.FailingFilter{Rule: f.FailedRule, Tenant: q.Tenant,
			Environment: q.Environment, Release: q.Release, Since: q.Since, Until: q.Until})
		if err != nil {
			return nil, err
		}
		q.Runs = keys
	}
	if q.Limit > 0 {
		q.Limit++ // one more than asked: whether more match
	}
	sums, err := events.ListRuns(ctx, conn, q)
	if err != nil {
		return nil, err
	}
	l := &List{Limit: f.Limit, Runs: []Run{}}
	if f.Limit > 0 && len(sums) > f.Limit {
		sums, l.More = sums[:f.Limit], true
	}
	keys := make([]events.RunKey, len(sums))
	for i, s := range sums {
		keys[i] = s.Key()
	}
	results, err := evaluators.RunResults(ctx, conn, keys)
	if err != nil {
		return nil, err
	}
	for _, s := range sums {
		l.Runs = append(l.Runs, Run{RunSummary: s, FailingRules: failing(results[s.Key()])})
	}
	return l, nil
}

// failing are the rule ids of the failed results, in their order.
func failing(rs []evaluators.RunResult) []string {
	out := []string{}
	for _, r := range rs {
		if !r.Passed {
			out = append(out, r.RuleID)
		}
	}
	return out
}

// Resolve finds the one run id names, by run id or trace id, in tenant
// ("" for any). It fails with ErrNotFound or ErrAmbiguous, naming the id
// (and, when ambiguous, the runs it could mean).
func Resolve(ctx context.Context, conn driver.Conn, id, tenant string) (events.RunRef, error) {
	refs, err := events.FindRuns(ctx, conn, id, tenant)
	if err != nil {
		return events.RunRef{}, err
	}
	// A run id wins over a trace id that happens to be the same text.
	var byRun []events.RunRef
	for _, r := range refs {
		if r.RunID == id {
			byRun = append(byRun, r)
		}
	}
	if len(byRun) > 0 {
		refs = byRun
	}
	where := ""
	if tenant != "" {
		where = " of tenant " + tenant
	}
	switch len(refs) {
	case 0:
		return events.RunRef{}, fmt.Errorf("%w: no run or trace %q%s in the store (list runs with `evalhouse runs`)", ErrNotFound, id, where)
	case 1:
		return refs[0], nil
	}
	names := ""
	for i, r := range refs {
		if i > 0 {
			names += ", "
		}
		names += r.Tenant + "/" + r.RunID
	}
	return events.RunRef{}, fmt.Errorf("%w: %q names %d runs (%s): give the run id, and the tenant", ErrAmbiguous, id, len(refs), names)
}

// BuildTree reads the run id names (a run id or a trace id; tenant ""
// for any) and assembles its Tree.
func BuildTree(ctx context.Context, conn driver.Conn, id, tenant string) (*Tree, error) {
	ref, err := Resolve(ctx, conn, id, tenant)
	if err != nil {
		return nil, err
	}
	key := events.RunKey{Tenant: ref.Tenant, RunID: ref.RunID}
	rows, err := events.RunEvents(ctx, conn, key)
	if err != nil {
		return nil, err
	}
	results, err := evaluators.RunResults(ctx, conn, []events.RunKey{key})
	if err != nil {
		return nil, err
	}
	return Assemble(rows, results[key]), nil
}
