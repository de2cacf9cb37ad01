package evaluators

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/internal/chsql"
)

// The evaluators package owns the eval_results table: its row (Result),
// its statements (sql/*.sql) and its readers. Every other package reads
// results through ReadResults.

//go:embed sql/*.sql
var sqlFS embed.FS

var stmts = chsql.Load("evaluators", sqlFS)

// Result is one row of eval_results: one rule version's verdict on one run
// (of one dataset case, for dataset scoring).
type Result struct {
	Dataset        string // dataset name; "" for production runs
	DatasetVersion uint32 // 0 for production runs
	Release        string
	RuleID         string
	RuleVersion    string
	CaseID         string
	RunID          string
	TraceID        string
	Tenant         string
	Environment    string
	Passed         bool // false whenever Error is set
	Score          float64
	Error          string // why the rule could not judge the run; "" when it did
	Reason         string
	RunTS          time.Time // when the run started
}

// row is r in the column order of sql/insert_results.sql.
func (r Result) row() []any {
	return []any{r.Dataset, r.DatasetVersion, r.Release, r.RuleID, r.RuleVersion, r.CaseID, r.RunID,
		r.TraceID, r.Tenant, r.Environment, r.Passed && r.Error == "", r.Score, r.Error, r.Reason, r.RunTS}
}

// WriteResults stores results in one insert. A result with the key of a
// stored one, (dataset, version, release, rule, rule version, case, run),
// replaces it.
func WriteResults(ctx context.Context, conn driver.Conn, results []Result) error {
	if len(results) == 0 {
		return nil
	}
	b, err := conn.PrepareBatch(ctx, stmts.Get("insert_results"))
	if err != nil {
		return fmt.Errorf("evaluators: store results: %w", err)
	}
	for _, r := range results {
		if err := b.Append(r.row()...); err != nil {
			b.Abort()
			return fmt.Errorf("evaluators: store results: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("evaluators: store results: %w", err)
	}
	return nil
}

// RuleVersion names one version of a rule.
type RuleVersion struct{ ID, Version string }

// ResultFilter selects one release's results on one dataset version.
type ResultFilter struct {
	Dataset string // dataset name
	Version uint32 // dataset version number
	Release string
	// Rules are the rule versions whose results count; results of any
	// other version are not read. No rules: no results.
	Rules []RuleVersion
	// Worst is how many failing cases to name per rule (0: none).
	Worst int
}

// Results are a filter's results, aggregated in the store: a reader never
// pulls every result row.
type Results struct {
	// ByRule holds each rule with at least one result.
	ByRule map[string]*RuleResults
	// Scored holds the case ids with at least one result.
	Scored map[string]bool
}

// RuleResults are one rule's results.
type RuleResults struct {
	Total, Passed int
	// Worst are its failing cases, worst first (errors, then the lowest
	// score, then by case id), at most ResultFilter.Worst of them.
	Worst []FailedCase
}

// FailedCase is one failing result.
type FailedCase struct {
	CaseID, RunID, TraceID string
	Score                  float64
	// Why is the rule's reason, or "error: …" when it could not judge.
	Why string
}

// ReadResults reads the results f selects. Every count is exact (FINAL).
func ReadResults(ctx context.Context, conn driver.Conn, f ResultFilter) (*Results, error) {
	r := &Results{ByRule: map[string]*RuleResults{}, Scored: map[string]bool{}}
	if len(f.Rules) == 0 {
		return r, nil
	}
	ids, versions := make([]string, len(f.Rules)), make([]string, len(f.Rules))
	for i, rv := range f.Rules {
		ids[i], versions[i] = rv.ID, rv.Version
	}
	args := []any{clickhouse.Named("dataset", f.Dataset), clickhouse.Named("version", f.Version),
		clickhouse.Named("release", f.Release), clickhouse.Named("rule_ids", ids), clickhouse.Named("rule_versions", versions)}
	where := fmt.Sprintf("%s@v%d release %s", f.Dataset, f.Version, f.Release)

	rows, err := conn.Query(ctx, stmts.Get("rule_totals"), args...)
	if err != nil {
		return nil, fmt.Errorf("evaluators: read results of %s: %w", where, err)
	}
	for rows.Next() {
		var id string
		var total, passed uint64
		if err := rows.Scan(&id, &total, &passed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("evaluators: read results of %s: %w", where, err)
		}
		r.ByRule[id] = &RuleResults{Total: int(total), Passed: int(passed)}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evaluators: read results of %s: %w", where, err)
	}

	if f.Worst > 0 {
		rows, err = conn.Query(ctx, stmts.Get("worst_cases"), append(args, clickhouse.Named("worst", f.Worst))...)
		if err != nil {
			return nil, fmt.Errorf("evaluators: read failing cases of %s: %w", where, err)
		}
		for rows.Next() {
			var id string
			var c FailedCase
			if err := rows.Scan(&id, &c.CaseID, &c.RunID, &c.TraceID, &c.Score, &c.Why); err != nil {
				rows.Close()
				return nil, fmt.Errorf("evaluators: read failing cases of %s: %w", where, err)
			}
			if a := r.ByRule[id]; a != nil {
				a.Worst = append(a.Worst, c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("evaluators: read failing cases of %s: %w", where, err)
		}
	}

	rows, err = conn.Query(ctx, stmts.Get("scored_cases"), args...)
	if err != nil {
		return nil, fmt.Errorf("evaluators: read scored cases of %s: %w", where, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("evaluators: read scored cases of %s: %w", where, err)
		}
		r.Scored[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evaluators: read scored cases of %s: %w", where, err)
	}
	return r, nil
}
