package releases_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/releases"
)

// GET /v1/releases/R answers the record and the stage log (Show's JSON);
// a tenant-scoped key and a key that does not read are refused, an
// unknown release is 404, another method 405, no release 400.
func TestHandler(t *testing.T) {
	s := migrated(t)
	traffic(t, s)
	ctx := context.Background()
	if _, err := releases.Record(ctx, s.Conn, releases.Transition{Release: "4.0", Stage: "cohort", Environment: "production",
		Cohort: releases.Cohort{Tenants: []string{"acme"}}, Owner: "o", RollbackOwner: "p"}); err != nil {
		t.Fatal(err)
	}
	h := releases.Handler(s.Conn, nil)
	get := func(p *auth.Principal, method, path string) (int, string) {
		t.Helper()
		r := httptest.NewRequest(method, path, nil)
		if p != nil {
			r = r.WithContext(auth.WithPrincipal(r.Context(), *p))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	reader := &auth.Principal{Name: "analyst", Role: auth.RoleRead}
	code, body := get(reader, "GET", "/v1/releases/4.0?environment=production")
	var got releases.Release
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("GET: %d %s", code, body)
	}
	want, err := releases.Show(ctx, s.Conn, "4.0", "production")
	if err != nil {
		t.Fatal(err)
	}
	if got.Record.Environment != "production" || names(got.Record.Models) != names(want.Record.Models) || len(got.Stages) != 1 ||
		got.Stages[0].Cohort.Tenants[0] != "acme" || got.Stages[0].Evidence == nil {
		t.Errorf("GET = %s", body)
	}
	for _, c := range []struct {
		p      *auth.Principal
		method string
		path   string
		code   int
		says   string
	}{
		{&auth.Principal{Name: "gx", Role: auth.RoleRead, Tenant: "globex"}, "GET", "/v1/releases/4.0", 403, "tenant-scoped"},
		{&auth.Principal{Name: "in", Role: auth.RoleIngest}, "GET", "/v1/releases/4.0", 403, "needs role read"},
		{&auth.Principal{Name: "g", Role: auth.RoleGate}, "GET", "/v1/releases/4.0", 200, "acme"},
		{nil, "GET", "/v1/releases/4.0", 200, "acme"},
		{reader, "GET", "/v1/releases/9.9", 404, "release 9.9"},
		{reader, "GET", "/v1/releases/", 400, "name a release"},
		{reader, "POST", "/v1/releases/4.0", 405, "use GET"},
	} {
		code, body := get(c.p, c.method, c.path)
		if code != c.code || !strings.Contains(body, c.says) {
			t.Errorf("%v %s %s: %d %s; want %d saying %q", c.p, c.method, c.path, code, body, c.code, c.says)
		}
		if code == 403 && strings.Contains(body, "globex\"") {
			t.Errorf("a refusal shows the record: %s", body)
		}
	}
}
