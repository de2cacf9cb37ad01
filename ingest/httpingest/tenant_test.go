package httpingest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/httpingest"
	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// An attacker holding a tenant-scoped key (globex) tries to write acme's
// events and to pre-claim acme's event_id so the genuine event is dropped
// as a duplicate: the first is rejected, the second lands in globex only,
// and acme's own event still lands.
func TestTenantScopedKeyCannotTouchAnotherTenant(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	h := httpingest.New(ingest.NewWriter(s.Conn, 0, 0), httpingest.Config{}, nil)
	// as stands in for the key guard (keys.Guard, tested with real keys in
	// cmd/evalhouse): it puts the key's principal in the context.
	as := func(tenant string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Name: tenant + "-ingest", Role: auth.RoleIngest, Tenant: tenant})))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	count := func(q string) uint64 {
		var n uint64
		if err := s.Conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	evil, acme := as("globex"), as("acme")
	claimed := strings.Replace(ev, `"kind":"policy",`, `"kind":"policy","event_id":"acme-evt-1",`, 1)

	// 1. An event naming acme, sent with globex's key: rejected, named.
	req, _ := http.NewRequest("POST", evil.URL+"/v1/events", strings.NewReader(claimed+"\n"))
	code, r, _ := do(t, req)
	if code != 400 || r.Rejected != 1 || r.Errors[0].Line != 1 || !strings.Contains(r.Errors[0].Reason, `field "tenant"`) {
		t.Fatalf("another tenant's event: %d %+v", code, r)
	}
	// 2. The same event_id without a tenant: it lands, in globex.
	req, _ = http.NewRequest("POST", evil.URL+"/v1/events", strings.NewReader(strings.Replace(claimed, `"tenant":"acme",`, "", 1)+"\n"))
	if code, r, _ = do(t, req); code != 200 || r.Accepted != 1 {
		t.Fatalf("an event naming no tenant: %d %+v", code, r)
	}
	// 3. acme's genuine event with that event_id is not a duplicate.
	req, _ = http.NewRequest("POST", acme.URL+"/v1/events", strings.NewReader(claimed+"\n"))
	if code, r, _ = do(t, req); code != 200 || r.Accepted != 1 || r.Duplicates != 0 {
		t.Fatalf("acme's own event after the pre-claim: %d %+v", code, r)
	}
	if n := count("SELECT count() FROM agent_events WHERE event_id = 'acme-evt-1' AND tenant = 'acme'"); n != 1 {
		t.Fatalf("acme's event stored %d times", n)
	}
	if n := count("SELECT count() FROM agent_events WHERE event_id = 'acme-evt-1' AND tenant = 'globex'"); n != 1 {
		t.Fatalf("globex's claim stored %d times (want it in globex, harmless)", n)
	}
}
