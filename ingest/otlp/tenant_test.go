package otlp

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/auth"
)

// A tenant-scoped key's spans land in its tenant, before the server's
// default; spans naming another tenant (here by the tenant header) are
// rejected, counted in partial_success.
func TestTenantScopedKey(t *testing.T) {
	s := newStore(t)
	h := NewHandler(ingest.NewWriter(s.Conn, 0, 20*time.Millisecond), Config{Defaults: Defaults{Tenant: "server-default"}}, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.Principal{Name: "globex-ingest", Role: auth.RoleIngest, Tenant: "globex"}
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	}))
	defer srv.Close()
	body := readFixture(t, "langgraph-openinference-js-react-agent-tools-retriever.otlp.json")

	r := postOTLP(t, srv.URL+"/v1/traces", "application/json", body, HeaderTenant, "acme")
	ps := r.export(t).GetPartialSuccess()
	if r.code != 200 || ps.GetRejectedSpans() == 0 {
		t.Fatalf("spans naming acme with globex's key: %d %s", r.code, r.body)
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != 0 {
		t.Fatalf("%d events of another tenant landed", n)
	}
	r = postOTLP(t, srv.URL+"/v1/traces", "application/json", body)
	if r.code != 200 || r.export(t).GetPartialSuccess() != nil {
		t.Fatalf("spans naming no tenant: %d %s", r.code, r.body)
	}
	if n := count(t, s, "SELECT count() FROM agent_events WHERE tenant = 'globex'"); n != 6 {
		t.Fatalf("globex holds %d events, want 6 (none in the server default)", n)
	}
}
