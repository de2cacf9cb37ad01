package keys_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/keys"
)

// echo answers 200 with the principal and every credential the request
// still carries, so a test sees what a handler behind the guard would.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		io.WriteString(w, "anonymous")
	} else {
		io.WriteString(w, p.Name+" "+string(p.Role)+" "+p.Tenant)
	}
	io.WriteString(w, "|"+r.Header.Get("Authorization")+r.Header.Get("X-ClickHouse-Key")+r.URL.Query().Get("password")+"|"+r.URL.Query().Get("query"))
})

func policy(r *http.Request) keys.Need {
	switch r.URL.Path {
	case "/healthz":
		return keys.Public
	case "/ingest":
		return keys.Require(auth.RoleIngest)
	}
	return keys.AnyKey
}

func send(t *testing.T, srv *httptest.Server, path string, set func(*http.Request)) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	if set != nil {
		set(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// Every form a client sends a key in is accepted, the handler sees the
// principal and no credential, and each door refuses as an attacker would
// try it: no key, a wrong one, a revoked one, a role that may not, two keys.
func TestGuard(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	v := keys.NewVerifier(st, 0)
	var logs bytes.Buffer
	srv := httptest.NewServer(v.Guard(echo, policy, keys.GuardOptions{Log: slog.New(slog.NewTextHandler(&logs, nil))}))
	defer srv.Close()
	ingest, _, err := st.Create(ctx, keys.Spec{Name: "in", Role: auth.RoleIngest, Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	reader, _, err := st.Create(ctx, keys.Spec{Name: "rd", Role: auth.RoleRead})
	if err != nil {
		t.Fatal(err)
	}

	forms := map[string]func(*http.Request){
		"bearer":     func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+ingest) },
		"basic":      func(r *http.Request) { r.SetBasicAuth("anyone", ingest) },
		"basic name": func(r *http.Request) { r.SetBasicAuth("in", ingest) },
		"clickhouse": func(r *http.Request) {
			r.Header.Set("X-ClickHouse-User", "in")
			r.Header.Set("X-ClickHouse-Key", ingest)
		},
		"url":      func(r *http.Request) { r.URL.RawQuery = "password=" + url.QueryEscape(ingest) + "&query=SELECT+1" },
		"url user": func(r *http.Request) { r.URL.User = url.UserPassword("in", ingest) },
	}
	for name, set := range forms {
		code, body, _ := send(t, srv, "/ingest?query=SELECT+1", set)
		if code != 200 || !strings.HasPrefix(body, "in ingest acme||") || !strings.HasSuffix(body, "SELECT 1") {
			t.Errorf("%s: %d %q", name, code, body)
		}
	}
	if code, body, _ := send(t, srv, "/healthz", nil); code != 200 || !strings.HasPrefix(body, "anonymous") {
		t.Errorf("public path: %d %q", code, body)
	}

	attacks := []struct {
		name string
		path string
		set  func(*http.Request)
		code int
	}{
		{"no key", "/ingest", nil, 401},
		{"no key, any-key path", "/other", nil, 401},
		{"wrong key", "/ingest", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+ingest+"x") }, 401},
		{"empty bearer", "/ingest", func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") }, 401},
		{"key as user name", "/ingest", func(r *http.Request) { r.SetBasicAuth(ingest, "") }, 401},
		{"malformed basic", "/ingest", func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") }, 401},
		{"other scheme", "/ingest", func(r *http.Request) { r.Header.Set("Authorization", "Digest x") }, 401},
		{"two keys", "/ingest", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+ingest)
			r.Header.Set("X-ClickHouse-Key", reader)
		}, 401},
		{"wrong role", "/ingest", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+reader) }, 403},
	}
	for _, a := range attacks {
		code, body, h := send(t, srv, a.path, a.set)
		if code != a.code {
			t.Errorf("%s: %d %q, want %d", a.name, code, body, a.code)
		}
		if code == 401 && len(h.Values("WWW-Authenticate")) == 0 {
			t.Errorf("%s: 401 without WWW-Authenticate", a.name)
		}
	}
	if code, _, _ := send(t, srv, "/other", forms["bearer"]); code != 200 {
		t.Errorf("any valid key on an any-key path: %d", code)
	}
	if _, err := st.Revoke(ctx, "rd", "t"); err != nil {
		t.Fatal(err)
	}
	// A fresh verifier (no cache) for the revoked key; the TTL bound is TestVerifier's.
	srv2 := httptest.NewServer(keys.NewVerifier(st, 0).Guard(echo, policy, keys.GuardOptions{ClickHouse: true}))
	defer srv2.Close()
	code, body, h := send(t, srv2, "/other", func(r *http.Request) { r.Header.Set("X-ClickHouse-Key", reader) })
	if code != 401 || h.Get("X-ClickHouse-Exception-Code") != "516" || !strings.HasPrefix(body, "Code: 516.") {
		t.Errorf("revoked key on the ClickHouse interface: %d %q %v", code, body, h)
	}
	for _, k := range []string{ingest, reader} {
		if strings.Contains(logs.String(), k) {
			t.Fatalf("a key reached the log:\n%s", logs.String())
		}
	}
}

// Open without keys: a loopback serve with no key lets requests through
// with no principal, until the first key is created; from then on, even
// after every key is revoked, a key is required.
func TestGuardOpenWithoutKeys(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	srv := httptest.NewServer(keys.NewVerifier(st, 0).Guard(echo, policy, keys.GuardOptions{OpenWithoutKeys: true}))
	defer srv.Close()
	if code, body, _ := send(t, srv, "/ingest", nil); code != 200 || !strings.HasPrefix(body, "anonymous") {
		t.Fatalf("no keys, loopback: %d %q", code, body)
	}
	if code, _, _ := send(t, srv, "/ingest", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nosuchkey") }); code != 401 {
		t.Fatalf("a presented key is checked even with no keys: %d", code)
	}
	// Open to local processes, not to web pages or rebound names: a page
	// in a local browser posting to loopback, and a name that resolves to
	// 127.0.0.1, are refused.
	for name, edit := range map[string]func(*http.Request){
		"cross-site Origin": func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
		"fetch metadata":    func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") },
		"rebound Host":      func(r *http.Request) { r.Host = "evil.example:4318" },
		"null Origin":       func(r *http.Request) { r.Header.Set("Origin", "null") },
	} {
		if code, body, _ := send(t, srv, "/ingest", edit); code != 403 || strings.HasPrefix(body, "anonymous") {
			t.Errorf("%s without keys: %d %q, want 403", name, code, body)
		}
	}
	if code, _, _ := send(t, srv, "/ingest", func(r *http.Request) { r.Header.Set("Origin", "http://127.0.0.1:3000") }); code != 200 {
		t.Errorf("a loopback Origin without keys: %d, want 200", code)
	}
	if _, _, err := st.Create(ctx, keys.Spec{Name: "a", Role: auth.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Revoke(ctx, "a", "t"); err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(keys.NewVerifier(st, 0).Guard(echo, policy, keys.GuardOptions{OpenWithoutKeys: true}))
	defer srv2.Close()
	if code, _, _ := send(t, srv2, "/ingest", nil); code != 401 {
		t.Fatalf("every key revoked: %d, want 401 (closed, not open)", code)
	}
}

// FuzzCredential: whatever headers and query a request carries, Credential
// never panics, and a key it returns was sent in one of the accepted forms.
func FuzzCredential(f *testing.F) {
	f.Add("Bearer abc", "", "password=abc")
	f.Add("Basic "+base64.StdEncoding.EncodeToString([]byte("u:p:q")), "p:q", "")
	f.Add("Basic ###", "k", "password=%zz&password=k")
	f.Add("", "", "a=1;password=x")
	f.Fuzz(func(t *testing.T, authz, chKey, rawQuery string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", authz)
		r.Header.Set("X-ClickHouse-Key", chKey)
		r.URL.RawQuery = rawQuery
		k, err := keys.Credential(r)
		if err != nil || k == "" {
			return
		}
		q, _ := url.ParseQuery(rawQuery)
		basic := ""
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(authz), "Basic"))); err == nil {
			_, basic, _ = strings.Cut(string(b), ":")
		}
		if k != chKey && !strings.Contains(authz, k) && k != basic && !contains(q["password"], k) {
			t.Fatalf("key %q from nowhere (authz %q, key %q, query %q)", k, authz, chKey, rawQuery)
		}
	})
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
