package events_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
)

// testRelease drives the release record's readers: the facets of a
// release's events (models, prompt versions, tools with their schema
// versions, policy versions, kinds, violations) and where it was seen;
// another release's events are left out, an environment narrows both, and
// an event stored twice counts once.
func testRelease(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	rec := snapshot.Record(s.Conn)
	now := time.Now().UTC().Truncate(time.Millisecond)
	var rows []*events.Row
	add := func(tenant, env, release string, kind envelope.Kind, at time.Duration, edit func(*events.Row)) {
		r := &events.Row{Tenant: tenant, Environment: env, TS: now.Add(at), Kind: kind, EventID: fmt.Sprintf("e%d", len(rows)),
			TraceID: "t-" + tenant, SpanID: fmt.Sprintf("s%d", len(rows)), RunID: "r-" + tenant + env, Release: release,
			ExpiresAt: time.Unix(0, 0).UTC(), RetentionDays: 30}
		if edit != nil {
			edit(r)
		}
		rows = append(rows, r)
	}
	add("acme", "production", "3.0", "run", -50*time.Minute, nil)
	add("acme", "production", "3.0", "model", -49*time.Minute, func(r *events.Row) { r.Model, r.PromptVersion = "m1", "p1" })
	add("acme", "production", "3.0", "tool", -48*time.Minute, func(r *events.Row) {
		r.Tool, r.Attributes = "refund", `{"evalhouse.tool.schema_version":"v2"}`
	})
	add("acme", "production", "3.0", "policy", -47*time.Minute, func(r *events.Row) { r.PolicyVersion, r.Decision = "pol-1", "allow" })
	add("globex", "production", "3.0", "run", -20*time.Minute, func(r *events.Row) { r.ContractViolations = []string{"stop_reason"} })
	add("globex", "production", "3.0", "model", -19*time.Minute, func(r *events.Row) { r.Model, r.PromptVersion = "m2", "p2" })
	add("globex", "production", "3.0", "tool", -18*time.Minute, func(r *events.Row) {
		r.Tool, r.Attributes = "refund", `{"evalhouse.tool.schema_version":3,"x":1}`
	})
	add("globex", "production", "3.0", "tool", -17*time.Minute, func(r *events.Row) { r.Tool = "lookup" })
	add("globex", "production", "3.0", "policy", -16*time.Minute, func(r *events.Row) { r.PolicyVersion = "pol-2" })
	add("acme", "staging", "3.0", "run", -2*time.Hour, nil)
	add("acme", "staging", "3.0", "model", -2*time.Hour+time.Second, func(r *events.Row) { r.Model, r.PromptVersion = "m1", "p1" })
	add("acme", "production", "2.9", "model", -10*time.Minute, func(r *events.Row) { r.Model = "old" })
	if err := events.Insert(ctx, rec, rows); err != nil {
		t.Fatal(err)
	}
	if err := events.Insert(ctx, rec, rows[1:2]); err != nil { // redelivered
		t.Fatal(err)
	}
	rec.Take()

	all := events.ReleaseFilter{Release: "3.0"}
	facets, err := events.ReleaseFacets(ctx, rec, all)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range facets {
		got = append(got, fmt.Sprintf("%s=%s:%d%v", f.Facet, f.Value, f.Events, f.SchemaVersions))
	}
	want := "kind=model:3[] kind=policy:2[] kind=run:3[] kind=tool:3[] model=m1:2[] model=m2:1[] policy=pol-1:1[] policy=pol-2:1[] " +
		"prompt=p1:2[] prompt=p2:1[] tool=lookup:1[] tool=refund:2[3 v2] violation=stop_reason:1[]"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("facets =\n%s\nwant\n%s", s, want)
	}
	for _, f := range facets {
		if f.Facet == events.FacetModel && f.Value == "m1" && (!f.First.Equal(now.Add(-2*time.Hour+time.Second)) || !f.Last.Equal(now.Add(-49*time.Minute))) {
			t.Errorf("m1 first %v last %v", f.First, f.Last)
		}
	}
	seen, err := events.ReleaseSeenBy(ctx, rec, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 {
		t.Fatalf("seen = %+v, want production/acme, production/globex, staging/acme", seen)
	}
	a, g, st := seen[0], seen[1], seen[2]
	if a.Environment != "production" || a.Tenant != "acme" || a.Events != 4 || a.Runs != 1 || a.Violating != 0 ||
		!a.First.Equal(now.Add(-50*time.Minute)) || !a.Last.Equal(now.Add(-47*time.Minute)) || a.LastIngested.IsZero() {
		t.Errorf("production/acme = %+v", a)
	}
	if g.Tenant != "globex" || g.Events != 5 || g.Violating != 1 || st.Environment != "staging" || st.Events != 2 {
		t.Errorf("globex = %+v, staging = %+v", g, st)
	}
	prod := events.ReleaseFilter{Release: "3.0", Environment: "staging"}
	if facets, err := events.ReleaseFacets(ctx, rec, prod); err != nil || len(facets) != 4 {
		t.Errorf("staging facets = %+v, %v; want kinds run and model, m1, p1", facets, err)
	}
	if seen, err := events.ReleaseSeenBy(ctx, rec, prod); err != nil || len(seen) != 1 || seen[0].Tenant != "acme" {
		t.Errorf("staging seen = %+v, %v", seen, err)
	}
	none := events.ReleaseFilter{Release: "nope"}
	if facets, err := events.ReleaseFacets(ctx, rec, none); err != nil || len(facets) != 0 {
		t.Errorf("unknown release facets = %+v, %v", facets, err)
	}
	if seen, err := events.ReleaseSeenBy(ctx, rec, none); err != nil || len(seen) != 0 {
		t.Errorf("unknown release seen = %+v, %v", seen, err)
	}
	snapshot.Check(t, "release", rec.Take())
}
