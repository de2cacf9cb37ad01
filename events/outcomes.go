package events

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Readers of run outcomes for the reports that judge whole runs (the
// policy ground truth, missing evidence) and of ingest health. Each takes
// the query model's filter; none reads FINAL unless Exact says so (ingest
// already drops duplicates).

// binder binds values as @p0, @p1, …
type binder struct{ args []any }

func (b *binder) bind(v any) string {
	name := fmt.Sprintf("p%d", len(b.args))
	b.args = append(b.args, clickhouse.Named(name, v))
	return "@" + name
}

// outcomeData is what the outcome statements render.
type outcomeData struct {
	Final string
	Where []string
	// Rollup: the statement reads run_summaries, whose time column is
	// the run's start.
	Rollup bool
}

func outcomeQuery(f AggFilter, exact bool) (outcomeData, *binder) {
	b := &binder{}
	f.Kinds = nil // the statements choose their kinds
	d := outcomeData{Where: f.conditions("ts", false, b.bind)}
	if exact {
		d.Final = " FINAL"
	}
	return d, b
}

// ReleaseEvidence is one release's retrieving runs, and those of them
// whose every retrieval returned no source.
type ReleaseEvidence struct {
	Release string
	// Runs retrieved at least once; Missing got no source from any retrieval.
	Runs, Missing uint64
}

// MissingEvidence reads, per release, the runs with a retrieval in f and
// those whose retrievals in f all returned nothing, in release order.
func MissingEvidence(ctx context.Context, conn driver.Conn, f AggFilter, exact bool) ([]ReleaseEvidence, error) {
	d, b := outcomeQuery(f, exact)
	rows, err := conn.Query(ctx, stmts.Render("missing_evidence", d), b.args...)
	if err != nil {
		return nil, fmt.Errorf("events: missing evidence: %w", err)
	}
	defer rows.Close()
	var out []ReleaseEvidence
	for rows.Next() {
		var r ReleaseEvidence
		if err := rows.Scan(&r.Release, &r.Runs, &r.Missing); err != nil {
			return nil, fmt.Errorf("events: missing evidence: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: missing evidence: %w", err)
	}
	return out, nil
}

// SourceIngests are one source's ingests (ingest_log rows) and what they
// were told.
type SourceIngests struct {
	Source                                                      string
	Ingests, Accepted, Rejected, Expired, Duplicates, Conflicts uint64
}

// IngestHealth reads, per ingest source, the ingests started in [since,
// until), in source order. ingest_log has no tenant or release: it is the
// store's, not a tenant's.
func IngestHealth(ctx context.Context, conn driver.Conn, since, until time.Time) ([]SourceIngests, error) {
	rows, err := conn.Query(ctx, stmts.Get("ingest_health"),
		clickhouse.Named("since", since.UnixMicro()), clickhouse.Named("until", until.UnixMicro()))
	if err != nil {
		return nil, fmt.Errorf("events: ingest health: %w", err)
	}
	defer rows.Close()
	var out []SourceIngests
	for rows.Next() {
		var s SourceIngests
		if err := rows.Scan(&s.Source, &s.Ingests, &s.Accepted, &s.Rejected, &s.Expired, &s.Duplicates, &s.Conflicts); err != nil {
			return nil, fmt.Errorf("events: ingest health: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: ingest health: %w", err)
	}
	return out, nil
}

// ToolApprovals are one tool's side-effect calls (write or external) and
// how many were made without an approval granted before them in their run.
type ToolApprovals struct {
	Tool string
	// Calls are its side-effect calls; Required those whose authorization
	// was approval_required.
	Calls, Required uint64
	// Unapproved had no approved approval event earlier in their run;
	// RequiredUnapproved are those of them that needed one: the calls a
	// policy should have stopped.
	Unapproved, RequiredUnapproved uint64
}

// UnapprovedSideEffects reads, per tool, the side-effect calls in f and
// those made without a prior approval in their run, in tool order. The
// approvals are looked for in f's window and filter too.
func UnapprovedSideEffects(ctx context.Context, conn driver.Conn, f AggFilter, exact bool) ([]ToolApprovals, error) {
	f.Tool, f.Model, f.Kinds = "", "", nil // both sides filter the same way; a tool filter would drop the approvals
	d, b := outcomeQuery(f, exact)
	rows, err := conn.Query(ctx, stmts.Render("unapproved_side_effects", d), b.args...)
	if err != nil {
		return nil, fmt.Errorf("events: unapproved side effects: %w", err)
	}
	defer rows.Close()
	var out []ToolApprovals
	for rows.Next() {
		var t ToolApprovals
		if err := rows.Scan(&t.Tool, &t.Calls, &t.Required, &t.Unapproved, &t.RequiredUnapproved); err != nil {
			return nil, fmt.Errorf("events: unapproved side effects: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: unapproved side effects: %w", err)
	}
	return out, nil
}

// TypeRedactions is how many secrets of one type ingest replaced in the
// events of one source and release.
type TypeRedactions struct {
	Source, Release, Type string
	Count                 uint64
}

// RedactionsByType reads the redactions of the events in f per source,
// release and type, in that order.
func RedactionsByType(ctx context.Context, conn driver.Conn, f AggFilter, exact bool) ([]TypeRedactions, error) {
	d, b := outcomeQuery(f, exact)
	rows, err := conn.Query(ctx, stmts.Render("redactions_by_type", d), b.args...)
	if err != nil {
		return nil, fmt.Errorf("events: redactions by type: %w", err)
	}
	defer rows.Close()
	var out []TypeRedactions
	for rows.Next() {
		var t TypeRedactions
		if err := rows.Scan(&t.Source, &t.Release, &t.Type, &t.Count); err != nil {
			return nil, fmt.Errorf("events: redactions by type: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: redactions by type: %w", err)
	}
	return out, nil
}
