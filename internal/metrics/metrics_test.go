package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/redact"
	"github.com/evalhouse/evalhouse/internal/httpbody"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// The hooks add up what they are told; the exposition holds every series
// alerts read, at 0, before anything happened.
func TestHooks(t *testing.T) {
	m := New()
	if got := testutil.ToFloat64(m.events.WithLabelValues("kafka", OutcomeExpired)); got != 0 {
		t.Fatalf("fresh counter %v", got)
	}
	m.IngestClosed("http", ingest.Summary{Accepted: 3, Rejected: 1, Duplicates: 2, Redactions: redact.Counts{"aws_key": 2, "email": 0}})
	m.IngestClosed("http", ingest.Summary{Accepted: 1, Expired: 4, Redactions: redact.Counts{"aws_key": 1}})
	m.Inserted(5, 20*time.Millisecond, nil)
	m.Inserted(7, time.Second, errors.New("store down"))
	m.Decided(&gate.Decision{Verdict: gate.Hold})
	m.RateLimited("key:ci")
	for _, c := range []struct {
		got, want float64
	}{
		{testutil.ToFloat64(m.events.WithLabelValues("http", OutcomeAccepted)), 4},
		{testutil.ToFloat64(m.events.WithLabelValues("http", OutcomeRejected)), 1},
		{testutil.ToFloat64(m.events.WithLabelValues("http", OutcomeDuplicate)), 2},
		{testutil.ToFloat64(m.events.WithLabelValues("http", OutcomeExpired)), 4},
		{testutil.ToFloat64(m.redactions.WithLabelValues("aws_key")), 3},
		{testutil.ToFloat64(m.insertRows), 5},
		{testutil.ToFloat64(m.decisions.WithLabelValues("hold")), 1},
		{testutil.ToFloat64(m.decisions.WithLabelValues("pass")), 0},
		{testutil.ToFloat64(m.rateLimited), 1},
	} {
		if c.got != c.want {
			t.Errorf("got %v, want %v", c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.redactions); n != 1 {
		t.Errorf("%d redaction series; a zero count makes none", n)
	}
	b := httpbody.NewBudget(3, 1000)
	m.WatchInFlight(b)
	body := scrape(t, m)
	for _, want := range []string{
		`evalhouse_store_insert_duration_seconds_count{result="error"} 1`,
		`evalhouse_gate_decisions_total{verdict="error"} 0`,
		`evalhouse_http_in_flight_bytes_limit 1000`,
		`evalhouse_http_in_flight_requests 0`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("scrape: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return string(b)
}

// Every store call through Conn is timed by operation and result; a
// query's time is observed once its rows are closed.
func TestConnTimesQueries(t *testing.T) {
	s := storetest.New(t)
	m := New()
	c := m.Conn(s.Conn)
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Exec(ctx, "CREATE TABLE t (x UInt8) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	b, err := c.PrepareBatch(ctx, "INSERT INTO t")
	if err != nil {
		t.Fatal(err)
	}
	b.Append(uint8(1))
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "SELECT x FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.queries, "evalhouse_store_query_duration_seconds"); n != 3 {
		t.Errorf("%d series before the rows are closed, want 3 (ping, exec, insert)", n)
	}
	for rows.Next() {
	}
	rows.Close()
	rows.Close() // observed once
	var n uint64
	if err := c.QueryRow(ctx, "SELECT count() FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("count %d, %v", n, err)
	}
	c.QueryRow(ctx, "SELECT no_such_column FROM t")
	body := scrape(t, m)
	for _, want := range []string{
		`evalhouse_store_query_duration_seconds_count{op="ping",result="ok"} 1`,
		`evalhouse_store_query_duration_seconds_count{op="exec",result="ok"} 1`,
		`evalhouse_store_query_duration_seconds_count{op="insert",result="ok"} 1`,
		`evalhouse_store_query_duration_seconds_count{op="query",result="ok"} 1`,
		`evalhouse_store_query_duration_seconds_count{op="query_row",result="ok"} 1`,
		`evalhouse_store_query_duration_seconds_count{op="query_row",result="error"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

// /readyz is 503 with the reason until the schema is at the binary's
// version, 200 once migrated, and 503 again for a store newer than the
// binary.
func TestReady(t *testing.T) {
	s := storetest.New(t)
	h := Ready(s.Conn, 0)
	probe := func() (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		return w.Code, w.Body.String()
	}
	migs, _ := schema.Migrations()
	if code, body := probe(); code != 503 || !strings.Contains(body, "migration(s) pending (first: 0001_") || !strings.Contains(body, "run `evalhouse migrate`") {
		t.Fatalf("before migrations: %d %q", code, body)
	}
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	want := migs[len(migs)-1].Version
	if code, body := probe(); code != 200 || !strings.Contains(body, "ready: schema version ") {
		t.Fatalf("after migrations: %d %q", code, body)
	}
	if err := s.Conn.Exec(context.Background(), "INSERT INTO schema_migrations VALUES (?, 'from_the_future.sql', '', now64(3))", want+1); err != nil {
		t.Fatal(err)
	}
	if code, body := probe(); code != 503 || !strings.Contains(body, "newer than this binary's") {
		t.Fatalf("a store ahead of the binary: %d %q", code, body)
	}
	s.Conn.Close()
	if code, body := probe(); code != 503 || !strings.Contains(body, "not ready: store: ") {
		t.Fatalf("a closed store: %d %q", code, body)
	}
}
