package evaluators

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// FailureFilter selects results for a report: of the rule versions named,
// on runs started in [Since, Until), optionally of one tenant, one
// environment and some releases ("" and empty mean any).
type FailureFilter struct {
	Rules        []RuleVersion
	Since, Until time.Time
	Tenant       string
	Environment  string
	Releases     []string
}

// ReleaseFailures are one rule's results on one release's runs.
type ReleaseFailures struct {
	Release, RuleID string
	// Results counts the runs judged; Failed those that failed or could
	// not be judged.
	Results, Failed uint64
}

// RuleFailures reads, per release and rule, the results f selects and
// how many failed, in (release, rule) order. Counts are exact (FINAL). No
// rules: no results.
func RuleFailures(ctx context.Context, conn driver.Conn, f FailureFilter) ([]ReleaseFailures, error) {
	if len(f.Rules) == 0 {
		return nil, nil
	}
	ids, versions := make([]string, len(f.Rules)), make([]string, len(f.Rules))
	for i, rv := range f.Rules {
		ids[i], versions[i] = rv.ID, rv.Version
	}
	releases := f.Releases
	if releases == nil {
		releases = []string{}
	}
	rows, err := conn.Query(ctx, stmts.Get("failures_by_release"),
		clickhouse.Named("rule_ids", ids), clickhouse.Named("rule_versions", versions),
		clickhouse.Named("since", f.Since.UnixMicro()), clickhouse.Named("until", f.Until.UnixMicro()),
		clickhouse.Named("tenant", f.Tenant), clickhouse.Named("environment", f.Environment), clickhouse.Named("releases", releases))
	if err != nil {
		return nil, fmt.Errorf("evaluators: rule failures: %w", err)
	}
	defer rows.Close()
	var out []ReleaseFailures
	for rows.Next() {
		var r ReleaseFailures
		if err := rows.Scan(&r.Release, &r.RuleID, &r.Results, &r.Failed); err != nil {
			return nil, fmt.Errorf("evaluators: rule failures: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evaluators: rule failures: %w", err)
	}
	return out, nil
}
