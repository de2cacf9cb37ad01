package gate_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/internal/auth"
)

// OnDecision is told of every decision POST /v1/gates makes, the error
// decision of a config that does not parse included; GETs decide nothing.
func TestOnDecision(t *testing.T) {
	w := newWorld(t, 4)
	var got []gate.Verdict
	srv := httptest.NewServer(gate.Handler(w.s.Conn, gate.RulesDirs(t.TempDir()), gate.OnDecision(func(d *gate.Decision) { got = append(got, d.Verdict) })))
	defer srv.Close()
	for _, body := range []string{"checks: [{", "dataset: nosuch@v9\nchecks:\n  - {rule: a, max_failures: 0}\n"} {
		resp, err := http.Post(srv.URL+"/v1/gates?release=2.5.0", "application/yaml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(srv.URL + "/v1/gates?release=2.5.0")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(got) != 2 || got[0] != gate.VerdictError || got[1] != gate.VerdictError {
		t.Fatalf("observed %v, want two error decisions", got)
	}
}

// A tenant-scoped key may neither read nor make gate decisions: they judge
// every tenant's runs, and their evidence names them.
func TestTenantScopedKeysGetNoGates(t *testing.T) {
	w := newWorld(t, 1)
	h := gate.Handler(w.s.Conn, gate.RulesDirs(t.TempDir()))
	for _, method := range []string{"GET", "POST"} {
		req := httptest.NewRequest(method, "/v1/gates?release=2.5.0", strings.NewReader("checks: []\n"))
		req = req.WithContext(auth.WithPrincipal(req.Context(), auth.Principal{Name: "k", Role: auth.RoleGate, Tenant: "acme"}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "span tenants") {
			t.Errorf("%s by a tenant-scoped key: %d %s", method, rec.Code, rec.Body.String())
		}
	}
}
