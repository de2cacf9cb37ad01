package httpingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/httpingest"
	"github.com/evalhouse/evalhouse/internal/restamp"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// ev is one policy event, stamped an hour ago (restamp.ToNow).
var ev = string(restamp.ToNow([]byte(evFixed), time.Now()))

const evFixed = `{"kind":"policy","trace_id":"t1","span_id":"s1","run_id":"r1","tenant":"acme","environment":"prod","release":"1.0","ts":"2026-11-20T09:00:00Z","duration_ms":3,"status":"ok","policy_version":"p@1","decision":"deny","reason_code":"refund_over_limit","enforcement":"enforced"}`

func server(t *testing.T, cfg httpingest.Config) (*httptest.Server, func(string) uint64) {
	s := storetest.New(t)
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpingest.New(ingest.NewWriter(s.Conn, 0, 0), cfg, nil))
	t.Cleanup(srv.Close)
	return srv, func(q string) uint64 {
		var n uint64
		if err := s.Conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}

func do(t *testing.T, req *http.Request) (int, httpingest.Response, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r httpingest.Response
	json.NewDecoder(resp.Body).Decode(&r)
	return resp.StatusCode, r, resp.Header
}

func TestGzipBodyAndStrict(t *testing.T) {
	srv, count := server(t, httpingest.Config{})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(ev + "\n"))
	zw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/events", &gz)
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Content-Type", "application/x-ndjson")
	code, r, _ := do(t, req)
	if code != 200 || r.Accepted != 1 {
		t.Fatalf("gzip POST: %d %+v", code, r)
	}
	if n := count("SELECT count() FROM agent_events"); n != 1 {
		t.Fatalf("stored %d", n)
	}
	// ?strict=true rejects a contract breach: nothing usable → 400.
	bad := strings.Replace(ev, `"enforcement":"enforced"`, `"enforcement":""`, 1)
	req, _ = http.NewRequest("POST", srv.URL+"/v1/events?strict=true", strings.NewReader(bad))
	code, r, _ = do(t, req)
	if code != 400 || r.Rejected != 1 || !strings.Contains(r.Errors[0].Reason, "enforcement missing") {
		t.Fatalf("strict POST: %d %+v", code, r)
	}
}

func TestMethodAndContentType(t *testing.T) {
	srv, _ := server(t, httpingest.Config{})
	req, _ := http.NewRequest("GET", srv.URL+"/v1/events", nil)
	if code, _, h := do(t, req); code != 405 || h.Get("Allow") != "POST" {
		t.Fatalf("GET: %d", code)
	}
	req, _ = http.NewRequest("POST", srv.URL+"/v1/events", strings.NewReader(ev))
	req.Header.Set("Content-Type", "application/x-protobuf")
	if code, _, _ := do(t, req); code != 415 {
		t.Fatalf("protobuf body: %d", code)
	}
}

// When the store fails, the request gets 503 with Retry-After, never 200.
func TestStoreFailureIs503(t *testing.T) {
	s := storetest.New(t)
	// No schema: the insert fails.
	srv := httptest.NewServer(httpingest.New(ingest.NewWriter(s.Conn, 0, 0), httpingest.Config{}, nil))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/events", strings.NewReader(ev+"\n"))
	code, r, h := do(t, req)
	if code != 503 || h.Get("Retry-After") == "" || r.Error == "" {
		t.Fatalf("store down: %d %+v", code, r)
	}
}

// The response and ingest_log say the same thing about a request: one
// stored, one malformed, one past its retention.
func TestResponseMatchesIngestLog(t *testing.T) {
	srv, count := server(t, httpingest.Config{})
	old := strings.Replace(ev, `"span_id":"s1"`, `"span_id":"s2"`, 1)
	old = string(restamp.Shift([]byte(old), -3000*24*time.Hour)) // past the 7-year audit class
	body := ev + "\n" + `{"kind":"tool","ts":` + "\n" + old + "\n"
	req, _ := http.NewRequest("POST", srv.URL+"/v1/events", strings.NewReader(body))
	code, r, _ := do(t, req)
	if code != 200 || r.Accepted != 1 || r.Rejected != 1 || r.Expired != 1 {
		t.Fatalf("%d %+v", code, r)
	}
	q := "SELECT count() FROM ingest_log WHERE ingest_id = '" + r.IngestID + "' AND source = 'http' AND accepted = 1 AND rejected = 1 AND expired = 1 AND duplicates = 0"
	if n := count(q); n != 1 {
		t.Fatalf("ingest_log does not say what the response said (%d rows match)", n)
	}
	if n := count("SELECT count() FROM agent_events"); n != 1 {
		t.Fatalf("stored %d", n)
	}
}
