package evaluators

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// The readers of eval results across releases, for the evals and diff
// reports: pass rates per rule, outcomes per case, and the cases whose
// outcome flipped between two releases. Each counts only the rule version
// last scored for a release and dataset version (sql/trend_current.sql),
// and reads FINAL: re-scoring replaces a result, and a report must not
// count the old one beside it.

// TrendFilter selects the results a trend reads: those of runs that
// started in [Since, Until), optionally of one tenant, one environment and
// some releases.
type TrendFilter struct {
	Since, Until time.Time
	Tenant       string
	Environment  string
	Releases     []string // none: every release
}

// args binds f for the trend statements.
func (f TrendFilter) args() ([]any, error) {
	if f.Since.IsZero() || f.Until.IsZero() || !f.Since.Before(f.Until) {
		return nil, errors.New("evaluators: trend window is empty")
	}
	args := []any{clickhouse.Named("since", f.Since.UnixMicro()), clickhouse.Named("until", f.Until.UnixMicro())}
	if f.Tenant != "" {
		args = append(args, clickhouse.Named("tenant", f.Tenant))
	}
	if f.Environment != "" {
		args = append(args, clickhouse.Named("environment", f.Environment))
	}
	if len(f.Releases) > 0 {
		args = append(args, clickhouse.Named("releases", f.Releases))
	}
	return args, nil
}

// RulePassRate is one rule version's results for one release on one
// dataset version ("" and 0 for production runs).
type RulePassRate struct {
	RuleID, RuleVersion string
	Dataset             string
	DatasetVersion      uint32
	Release             string
	Total, Passed       int
	// FirstRun is when the release's first scored run started: releases
	// are ordered by it.
	FirstRun time.Time
}

// RulePassRates reads every rule's pass rate per dataset version and
// release, ordered by rule, rule version, dataset, dataset version, then
// release by its first run.
func RulePassRates(ctx context.Context, conn driver.Conn, f TrendFilter) ([]RulePassRate, error) {
	args, err := f.args()
	if err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, stmts.Render("rule_pass_rates", f), args...)
	if err != nil {
		return nil, fmt.Errorf("evaluators: read pass rates: %w", err)
	}
	defer rows.Close()
	var out []RulePassRate
	for rows.Next() {
		var r RulePassRate
		var total, passed uint64
		if err := rows.Scan(&r.RuleID, &r.RuleVersion, &r.Dataset, &r.DatasetVersion, &r.Release, &total, &passed, &r.FirstRun); err != nil {
			return nil, fmt.Errorf("evaluators: read pass rates: %w", err)
		}
		r.Total, r.Passed = int(total), int(passed)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evaluators: read pass rates: %w", err)
	}
	return out, nil
}

// CaseOutcome is one dataset case's results in one release, on the
// highest version of the dataset the release was scored on.
type CaseOutcome struct {
	Dataset, CaseID, Release string
	Total, Passed            int
	// FailedRules are the rules with a failing result, sorted.
	FailedRules []string
	// RunID is a run of the case, a failing one when there is one.
	RunID    string
	FirstRun time.Time
}

// CaseOutcomes reads every dataset case's outcome per release, ordered by
// dataset, case, then release by its first run of the case.
func CaseOutcomes(ctx context.Context, conn driver.Conn, f TrendFilter) ([]CaseOutcome, error) {
	args, err := f.args()
	if err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, stmts.Render("case_outcomes", f), args...)
	if err != nil {
		return nil, fmt.Errorf("evaluators: read case outcomes: %w", err)
	}
	defer rows.Close()
	var out []CaseOutcome
	for rows.Next() {
		var c CaseOutcome
		var total, passed uint64
		if err := rows.Scan(&c.Dataset, &c.CaseID, &c.Release, &total, &passed, &c.FailedRules, &c.RunID, &c.FirstRun); err != nil {
			return nil, fmt.Errorf("evaluators: read case outcomes: %w", err)
		}
		c.Total, c.Passed = int(total), int(passed)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evaluators: read case outcomes: %w", err)
	}
	return out, nil
}

// Flip is a dataset case whose outcome on one rule differs between two
// releases. A case passed a rule in a release when every result of that
// rule on it there passed.
type Flip struct {
	Dataset, CaseID, RuleID string
	// Was is the outcome in the release compared against, Now in the
	// release under test.
	Was, Now bool
	// RunID and AgainstRunID are the case's runs in the two releases (a
	// failing one when there is one).
	RunID, AgainstRunID string
}

// Flips reads the cases whose outcome differs between release and
// against, within f (its Releases are ignored): regressions (pass →
// fail) first, then fixes, each by dataset, case and rule.
func Flips(ctx context.Context, conn driver.Conn, f TrendFilter, release, against string) ([]Flip, error) {
	if release == "" || against == "" || release == against {
		return nil, fmt.Errorf("evaluators: flips: want two different releases, got %q and %q", release, against)
	}
	f.Releases = []string{release, against}
	args, err := f.args()
	if err != nil {
		return nil, err
	}
	args = append(args, clickhouse.Named("release", release), clickhouse.Named("against", against))
	rows, err := conn.Query(ctx, stmts.Render("case_flips", f), args...)
	if err != nil {
		return nil, fmt.Errorf("evaluators: read flips of %s against %s: %w", release, against, err)
	}
	defer rows.Close()
	var out []Flip
	for rows.Next() {
		var x Flip
		if err := rows.Scan(&x.Dataset, &x.CaseID, &x.RuleID, &x.Was, &x.Now, &x.RunID, &x.AgainstRunID); err != nil {
			return nil, fmt.Errorf("evaluators: read flips of %s against %s: %w", release, against, err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evaluators: read flips of %s against %s: %w", release, against, err)
	}
	return out, nil
}
