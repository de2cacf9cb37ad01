package events_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
)

// testStage drives the stage gate's readers: the release's production
// runs in the window, each measured whole, and its events per capability;
// runs of another release, environment, tenant or before the window are
// left out, and a run's events after the window still count.
func testStage(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	rec := snapshot.Record(s.Conn)
	now := time.Now().UTC().Truncate(time.Millisecond)
	var rows []*events.Row
	add := func(tenant, env, release, run string, kind envelope.Kind, at time.Duration, edit func(*events.Row)) {
		r := &events.Row{Tenant: tenant, Environment: env, TS: now.Add(at), Kind: kind, EventID: fmt.Sprintf("e%d", len(rows)),
			TraceID: "trace-" + run, SpanID: fmt.Sprintf("s%d", len(rows)), RunID: run, Release: release,
			ExpiresAt: time.Unix(0, 0).UTC(), RetentionDays: 30}
		if edit != nil {
			edit(r)
		}
		rows = append(rows, r)
	}
	add("acme", "production", "2.0", "c1", "run", -30*time.Minute, func(r *events.Row) { r.DurationMS, r.Status = 900, "error" })
	add("acme", "production", "2.0", "c1", "tool", -29*time.Minute, func(r *events.Row) { r.Tool, r.Status, r.DurationMS = "refund", "error", 40 })
	add("acme", "production", "2.0", "c1", "model", -29*time.Minute, func(r *events.Row) {
		r.Model, r.PromptVersion, r.CostUSD, r.ContractViolations = "m1", "p7", 0.25, []string{"latency_ms", "stop_reason"}
	})
	add("acme", "production", "2.0", "c1", "policy", -28*time.Minute, func(r *events.Row) { r.Decision, r.PolicyVersion = "deny", "pv2" })
	add("acme", "production", "2.0", "c1", "retrieval", -28*time.Minute, func(r *events.Row) { r.FreshnessStale, r.AccessDecision = true, "denied" })
	add("acme", "production", "2.0", "c1", "memory", -27*time.Minute, func(r *events.Row) { r.Op = "write" })
	add("acme", "production", "2.0", "c1", "approval", 2*time.Minute, func(r *events.Row) { r.Result = "approved" }) // after the window: still the run's
	add("globex", "production", "2.0", "c2", "run", -10*time.Minute, func(r *events.Row) { r.DurationMS = 300 })
	add("globex", "production", "2.0", "c2", "tool", -10*time.Minute, func(r *events.Row) { r.Tool, r.DurationMS = "refund", 20 })
	add("acme", "production", "2.0", "old", "run", -3*time.Hour, nil)
	add("acme", "staging", "2.0", "stg", "run", -5*time.Minute, nil)
	add("acme", "production", "1.9", "base", "run", -5*time.Minute, nil)
	if err := events.Insert(ctx, rec, rows); err != nil {
		t.Fatal(err)
	}
	rec.Take()
	f := events.StageFilter{Release: "2.0", Environment: "production", Since: now.Add(-time.Hour), Until: now}
	got, err := events.StageRuns(ctx, rec, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("stage runs = %+v, want c1 and c2", got)
	}
	c1 := got[0]
	if c1.RunID != "c1" || c1.TraceID != "trace-c1" || !c1.Error || c1.CostUSD != 0.25 || c1.DurationMS != 900 || c1.Events != 7 ||
		c1.ViolatingEvents != 1 || c1.Violations != 2 || c1.Decisions != 1 || c1.Denials != 1 || c1.Approvals != 1 || c1.Approved != 1 ||
		c1.Retrievals != 1 || c1.Stale != 1 || c1.Forbidden != 1 || fmt.Sprint(c1.Kinds) != "[approval memory model policy retrieval run tool]" ||
		!c1.LastEvent.Equal(now.Add(2*time.Minute)) {
		t.Errorf("c1 = %+v", c1)
	}
	if c2 := got[1]; c2.RunID != "c2" || c2.Error || c2.DurationMS != 300 || c2.Events != 2 {
		t.Errorf("c2 = %+v", c2)
	}
	f.Tenants = []string{"globex"}
	if got, err := events.StageRuns(ctx, rec, f); err != nil || len(got) != 1 || got[0].RunID != "c2" {
		t.Errorf("tenant globex: %+v, %v", got, err)
	}
	f.Tenants = nil
	caps, err := events.StageCapabilities(ctx, rec, f)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(caps); s != "[{memory writes 1 0 0 0 0} {model m1 1 0 0.25 0 0} {policy pv2 1 0 0 1 0} {prompt p7 1 0 0.25 0 0} {tool refund 2 1 0 0 60}]" {
		t.Errorf("capabilities = %s", s)
	}
	snapshot.Check(t, "stage", rec.Take())
}
