package gate

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/datasets/dsref"
	"github.com/evalhouse/evalhouse/internal/chsql"
)

// The gate owns the gate_decisions table: its statements are sql/*.sql.

//go:embed sql/*.sql
var sqlFS embed.FS

var stmts = chsql.Load("gate", sqlFS)

// ErrBadRef means a dataset reference is not NAME, NAME@vN or NAME@latest.
var ErrBadRef = errors.New("gate: invalid dataset reference")

// Record stores the decision in gate_decisions, so gate history is
// queryable, and marks it Stored. decided_at keeps milliseconds; seq
// (migration 0008) orders decisions made in the same millisecond.
func Record(ctx context.Context, conn driver.Conn, d *Decision) error {
	c := *d
	c.Stored, c.StoreError = true, ""
	ev, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("gate: record decision: %w", err)
	}
	baseline := ""
	if d.Baseline != nil {
		baseline = d.Baseline.Release
	}
	b, err := conn.PrepareBatch(ctx, stmts.Get("insert_decision"))
	if err != nil {
		return fmt.Errorf("gate: record decision: %w", err)
	}
	if err := b.Append(d.DecidedAt, chsql.Seq(), d.DatasetName, d.DatasetVersion, d.Release, baseline, string(d.Verdict), uint8(d.ExitCode), d.Commit, d.Owner, string(ev)); err != nil {
		b.Abort()
		return fmt.Errorf("gate: record decision: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("gate: record decision: %w", err)
	}
	d.Stored, d.StoreError = true, ""
	return nil
}

// Last returns the most recent stored decision for a release, optionally
// on one dataset: "name" (any version), "name@vN", or "name@latest" (its
// latest published version). nil when there is none. A reference that is
// none of these (dsref.Parse) is ErrBadRef: it never falls back to another
// version.
func Last(ctx context.Context, conn driver.Conn, release, dataset string) (*Decision, error) {
	var sel struct {
		Dataset string
		Version uint32
	}
	// Stored releases are redacted (Decision.redact): look the redacted form up.
	args := []any{clickhouse.Named("release", scrub(release))}
	if dataset != "" {
		ref, err := dsref.Parse(dataset)
		if err != nil {
			return nil, fmt.Errorf("%w %q: want NAME, NAME@vN (N from 1) or NAME@latest", ErrBadRef, dataset)
		}
		sel.Dataset, sel.Version = ref.Name, ref.Version
		if ref.Latest {
			v, err := datasets.New(conn).Resolve(ctx, dataset)
			if errors.Is(err, datasets.ErrNotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("gate: read decisions: %w", err)
			}
			sel.Version = v.Number
		}
		args = append(args, clickhouse.Named("dataset", sel.Dataset))
		if sel.Version > 0 {
			args = append(args, clickhouse.Named("version", sel.Version))
		}
	}
	rows, err := conn.Query(ctx, stmts.Render("last_decision", sel), args...)
	if err != nil {
		return nil, fmt.Errorf("gate: read decisions: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	var ev string
	if err := rows.Scan(&ev); err != nil {
		return nil, fmt.Errorf("gate: read decisions: %w", err)
	}
	var d Decision
	if err := json.Unmarshal([]byte(ev), &d); err != nil {
		return nil, fmt.Errorf("gate: stored decision: %w", err)
	}
	d.Stored = true
	return &d, nil
}
