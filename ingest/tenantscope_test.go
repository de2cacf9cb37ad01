package ingest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest"
)

// A tenant-scoped sender writes only its tenant: an event naming another
// tenant is rejected and named by its line, one naming none gets the
// scope's tenant, and the rest land.
func TestTenantScope(t *testing.T) {
	s := migrated(t)
	own := event("tool", 1, "")
	other := strings.Replace(event("tool", 2, ""), `"tenant":"acme"`, `"tenant":"globex"`, 1)
	none := strings.Replace(event("tool", 3, ""), `"tenant":"acme",`, "", 1)
	sum := ingestString(t, s, ingest.Options{TenantScope: "acme"}, "req", own+"\n"+other+"\n"+none+"\n")
	if sum.Accepted != 2 || sum.Rejected != 1 || len(sum.Errors) != 1 || sum.Errors[0].Line != 2 ||
		!strings.Contains(sum.Errors[0].Reason, `field "tenant"`) || strings.Contains(sum.Errors[0].Reason, "globex") {
		t.Fatalf("summary %+v", sum)
	}
	if n := count(t, s, "SELECT count() FROM agent_events WHERE tenant = 'acme'"); n != 2 {
		t.Fatalf("acme holds %d events, want 2", n)
	}
	if n := count(t, s, "SELECT count() FROM agent_events WHERE tenant != 'acme'"); n != 0 {
		t.Fatalf("%d events landed in another tenant", n)
	}
	// Without a scope, the same lines land where they say.
	sum = ingestString(t, s, ingest.Options{}, "req", other+"\n")
	if sum.Accepted != 1 || count(t, s, "SELECT count() FROM agent_events WHERE tenant = 'globex'") != 1 {
		t.Fatalf("unscoped: %+v", sum)
	}
}

// Restored rows (Parquet import) obey the scope as events do.
func TestTenantScopeRows(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	p, err := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{TenantScope: "acme", Urgent: true})
	if err != nil {
		t.Fatal(err)
	}
	base := events.Row{Kind: "tool", TS: testBase, TraceID: "t", SpanID: "s", RunID: "r"}
	for i, tenant := range []string{"acme", "globex", ""} {
		r := base
		r.Tenant, r.EventID = tenant, "row-"+string(rune('a'+i))
		if err := p.Row(ctx, "file.parquet", i+1, r); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := p.Close(ctx)
	if err != nil || sum.Accepted != 2 || sum.Rejected != 1 || sum.Errors[0].Line != 2 {
		t.Fatalf("%+v %v", sum, err)
	}
	if n := count(t, s, "SELECT count() FROM agent_events WHERE tenant = 'acme'"); n != 2 {
		t.Fatalf("acme holds %d rows, want 2", n)
	}
}
