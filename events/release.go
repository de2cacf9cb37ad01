package events

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Readers for the release record (package releases): what a release ran
// with, as its events say, and where and when it was seen.

// ReleaseFilter selects a release's events, in one environment when
// Environment is set.
type ReleaseFilter struct {
	Release, Environment string
}

func (f ReleaseFilter) args() []any {
	args := []any{clickhouse.Named("release", f.Release)}
	if f.Environment != "" {
		args = append(args, clickhouse.Named("environment", f.Environment))
	}
	return args
}

// The facets ReleaseFacets reports.
const (
	FacetKind      = "kind"      // Value: an event kind
	FacetModel     = "model"     // model events' model
	FacetPrompt    = "prompt"    // model events' prompt version
	FacetTool      = "tool"      // tool events' tool
	FacetPolicy    = "policy"    // policy events' policy version
	FacetViolation = "violation" // a trace-contract violation events carry
)

// SchemaVersionAttr is the attribute a tool event names its tool's schema
// version with.
const SchemaVersionAttr = "evalhouse.tool.schema_version"

// ReleaseFacet is one value of a facet of the release's events: Events
// of them carry it, the first at First and the last at Last.
// SchemaVersions, for a tool, are the values of SchemaVersionAttr its
// events carry, sorted (none when they carry none).
type ReleaseFacet struct {
	Facet, Value   string
	Events         uint64
	First, Last    time.Time
	SchemaVersions []string
}

// ReleaseFacets reads the facets of the events f selects, in (Facet,
// Value) order. Values that are empty are left out (an event of a kind
// without a model has no model facet).
func ReleaseFacets(ctx context.Context, conn driver.Conn, f ReleaseFilter) ([]ReleaseFacet, error) {
	rows, err := conn.Query(ctx, stmts.Render("release_facets", f), f.args()...)
	if err != nil {
		return nil, fmt.Errorf("events: facets of release %s: %w", f.Release, err)
	}
	defer rows.Close()
	var out []ReleaseFacet
	for rows.Next() {
		var r ReleaseFacet
		if err := rows.Scan(&r.Facet, &r.Value, &r.Events, &r.First, &r.Last, &r.SchemaVersions); err != nil {
			return nil, fmt.Errorf("events: facets of release %s: %w", f.Release, err)
		}
		r.First, r.Last = r.First.UTC(), r.Last.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: facets of release %s: %w", f.Release, err)
	}
	return out, nil
}

// ReleaseSeen is where a release was seen: its events in one environment
// for one tenant, the runs among them, those with a contract violation,
// the first and last event's time, and when the last of them was stored.
type ReleaseSeen struct {
	Environment, Tenant     string
	Events, Runs, Violating uint64
	First, Last             time.Time
	LastIngested            time.Time
}

// ReleaseSeenBy reads where the events f selects were seen, in
// (Environment, Tenant) order; none when the release has no events.
func ReleaseSeenBy(ctx context.Context, conn driver.Conn, f ReleaseFilter) ([]ReleaseSeen, error) {
	rows, err := conn.Query(ctx, stmts.Render("release_seen", f), f.args()...)
	if err != nil {
		return nil, fmt.Errorf("events: where release %s was seen: %w", f.Release, err)
	}
	defer rows.Close()
	var out []ReleaseSeen
	for rows.Next() {
		var r ReleaseSeen
		if err := rows.Scan(&r.Environment, &r.Tenant, &r.Events, &r.Runs, &r.Violating, &r.First, &r.Last, &r.LastIngested); err != nil {
			return nil, fmt.Errorf("events: where release %s was seen: %w", f.Release, err)
		}
		r.First, r.Last, r.LastIngested = r.First.UTC(), r.Last.UTC(), r.LastIngested.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: where release %s was seen: %w", f.Release, err)
	}
	return out, nil
}
