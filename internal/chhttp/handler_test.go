package chhttp_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/chhttp"
	"github.com/evalhouse/evalhouse/internal/storetest"
)

// The handler speaks ClickHouse's HTTP interface to the real engine; these
// tests use it the way curl or a BI tool would.
func server(t *testing.T) (*httptest.Server, string) {
	s := storetest.New(t) // a database of our own
	h := chhttp.New(storetest.Engine(t), t.TempDir(), nil)
	t.Cleanup(h.Close)
	srv := httptest.NewServer(asRole(h))
	t.Cleanup(srv.Close)
	return srv, s.Database
}

// asRole stands in for the key middleware: the X-Test-Role header names
// the principal's role; without it the request has no principal (serve
// without keys on loopback).
func asRole(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if role := r.Header.Get("X-Test-Role"); role != "" {
			r = r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Name: "key-" + role, Role: auth.Role(role)}))
		}
		h.ServeHTTP(w, r)
	})
}

var admin = map[string]string{"X-Test-Role": "admin"}

func get(t *testing.T, srv *httptest.Server, params url.Values, body io.Reader, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/?"+params.Encode(), body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestQueryInBodyAndParam(t *testing.T) {
	srv, db := server(t)
	code, out, _ := get(t, srv, url.Values{"database": {db}}, strings.NewReader("SELECT currentDatabase()"), nil)
	if code != 200 || strings.TrimSpace(out) != db {
		t.Fatalf("%d %q", code, out)
	}
	code, out, _ = get(t, srv, url.Values{"query": {"SELECT 40 + 2 FORMAT JSONEachRow"}}, nil, nil)
	if code != 200 || !strings.Contains(out, "42") {
		t.Fatalf("%d %q", code, out)
	}
	resp, err := http.Get(srv.URL + "/ping")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("ping: %v", err)
	}
}

func TestInsertDataInBody(t *testing.T) {
	srv, db := server(t)
	p := url.Values{"database": {db}}
	if code, out, _ := get(t, srv, p, strings.NewReader("CREATE TABLE t (a UInt8, b String) ENGINE = MergeTree ORDER BY a"), admin); code != 200 {
		t.Fatalf("create: %d %s", code, out)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("1\tx\n2\ty\n"))
	zw.Close()
	p.Set("query", "INSERT INTO t FORMAT TabSeparated")
	if code, out, _ := get(t, srv, p, &gz, map[string]string{"Content-Encoding": "gzip"}); code != 200 {
		t.Fatalf("insert: %d %s", code, out)
	}
	p.Set("query", "SELECT count(), max(b) FROM t")
	if code, out, _ := get(t, srv, p, nil, nil); code != 200 || strings.TrimSpace(out) != "2\ty" {
		t.Fatalf("select: %d %q", code, out)
	}
}

func TestErrorsAreClickHouseShaped(t *testing.T) {
	srv, _ := server(t)
	code, out, h := get(t, srv, url.Values{"query": {"SELECT * FROM nowhere"}}, nil, nil)
	// UNKNOWN_TABLE is 404, as ClickHouse answers it (protocol.go: statusOf).
	if code != 404 || h.Get("X-ClickHouse-Exception-Code") != "60" || !strings.HasPrefix(out, "Code: 60.") {
		t.Fatalf("%d %q %v", code, out, h)
	}
	code, out, _ = get(t, srv, url.Values{"query": {"SELECT {x:UInt8}"}, "param_x": {"1"}}, nil, nil)
	if code != 500 || !strings.Contains(out, "query parameters") {
		t.Fatalf("param_: %d %q", code, out)
	}
	code, _, _ = get(t, srv, url.Values{"query": {"SELECT 1"}}, nil, nil)
	if resp, _ := http.Get(srv.URL + "/play"); resp.StatusCode != 404 || code != 200 {
		t.Fatalf("unknown path: %d", resp.StatusCode)
	}
}

// Settings in the URL apply to that request only: the engine's session must
// not keep them.
func TestSettingsAreScopedToTheRequest(t *testing.T) {
	srv, _ := server(t)
	q := "SELECT getSetting('max_threads')"
	_, before, _ := get(t, srv, url.Values{"query": {q}}, nil, nil)
	_, during, _ := get(t, srv, url.Values{"query": {q}, "max_threads": {"1"}}, nil, nil)
	_, after, _ := get(t, srv, url.Values{"query": {q}}, nil, nil)
	if strings.TrimSpace(during) != "1" || before != after {
		t.Fatalf("before %q during %q after %q", before, during, after)
	}
}

func TestReadonlyRefusesWrites(t *testing.T) {
	srv, db := server(t)
	code, out, h := get(t, srv, url.Values{"database": {db}, "readonly": {"1"}}, strings.NewReader("CREATE TABLE x (a UInt8) ENGINE = Memory"), nil)
	if code != 500 || h.Get("X-ClickHouse-Exception-Code") != "164" || !strings.Contains(out, "READONLY") {
		t.Fatalf("%d %q", code, out)
	}
	if code, _, _ := get(t, srv, url.Values{"readonly": {"1"}}, strings.NewReader("SELECT 1"), nil); code != 200 {
		t.Fatalf("readonly select: %d", code)
	}
}
