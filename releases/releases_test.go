package releases_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

func migrated(t *testing.T) *store.Store {
	t.Helper()
	s := storetest.New(t)
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// traffic stores release 4.0's events, stamped relative to now: acme in
// production (model m1 with prompt p1, tool refund at schema version v2,
// policy pol-1), globex in production (model m2 with prompt p2, refund at
// schema version 3, lookup without one, policy pol-2, a contract
// violation), acme in staging (m1, p1) earlier; and release 3.9's in
// production. It also stores two gate decisions on 4.0.
func traffic(t *testing.T, s *store.Store) time.Time {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	var rows []*events.Row
	add := func(tenant, env, release string, kind envelope.Kind, at time.Duration, edit func(*events.Row)) {
		r := &events.Row{Tenant: tenant, Environment: env, TS: now.Add(at), Kind: kind, EventID: fmt.Sprintf("e%d", len(rows)),
			TraceID: "t-" + tenant + env, SpanID: fmt.Sprintf("s%d", len(rows)), RunID: "r-" + tenant + env, Release: release,
			ExpiresAt: time.Unix(0, 0).UTC(), RetentionDays: 30}
		if edit != nil {
			edit(r)
		}
		rows = append(rows, r)
	}
	add("acme", "production", "4.0", "run", -50*time.Minute, nil)
	add("acme", "production", "4.0", "model", -49*time.Minute, func(r *events.Row) { r.Model, r.PromptVersion = "m1", "p1" })
	add("acme", "production", "4.0", "tool", -48*time.Minute, func(r *events.Row) {
		r.Tool, r.Attributes = "refund", `{"evalhouse.tool.schema_version":"v2"}`
	})
	add("acme", "production", "4.0", "policy", -47*time.Minute, func(r *events.Row) { r.PolicyVersion, r.Decision = "pol-1", "allow" })
	add("globex", "production", "4.0", "run", -20*time.Minute, func(r *events.Row) { r.ContractViolations = []string{"stop_reason"} })
	add("globex", "production", "4.0", "model", -19*time.Minute, func(r *events.Row) { r.Model, r.PromptVersion = "m2", "p2" })
	add("globex", "production", "4.0", "tool", -18*time.Minute, func(r *events.Row) {
		r.Tool, r.Attributes = "refund", `{"evalhouse.tool.schema_version":3}`
	})
	add("globex", "production", "4.0", "tool", -17*time.Minute, func(r *events.Row) { r.Tool = "lookup" })
	add("globex", "production", "4.0", "policy", -16*time.Minute, func(r *events.Row) { r.PolicyVersion, r.Decision = "pol-2", "deny" })
	add("acme", "staging", "4.0", "run", -3*time.Hour, nil)
	add("acme", "staging", "4.0", "model", -3*time.Hour+time.Second, func(r *events.Row) { r.Model, r.PromptVersion = "m1", "p1" })
	add("acme", "production", "3.9", "model", -10*time.Minute, func(r *events.Row) { r.Model = "m0" })
	if err := events.Insert(ctx, s.Conn, rows); err != nil {
		t.Fatal(err)
	}
	for i, v := range []gate.Verdict{gate.Fail, gate.Pass} {
		d := &gate.Decision{Verdict: v, DecidedAt: now.Add(time.Duration(i-4) * time.Hour), Release: "4.0", DatasetName: "support-bot", DatasetVersion: 2}
		if err := gate.Record(ctx, s.Conn, d); err != nil {
			t.Fatal(err)
		}
	}
	return now
}
