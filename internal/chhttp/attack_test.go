package chhttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/internal/nettest"
	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/internal/storetest"
)

// victim is a store with a table to protect, its interface served over
// real HTTP the way serve --clickhouse-listen does.
type victim struct {
	s   *store.Store
	srv *httptest.Server
}

func newVictim(t *testing.T) *victim {
	t.Helper()
	s := storetest.New(t)
	if err := s.Conn.Exec(context.Background(), "CREATE TABLE ingest_log (id UInt64) ENGINE = MergeTree ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	if err := s.Conn.Exec(context.Background(), "INSERT INTO ingest_log VALUES (1), (2), (3)"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(asRole(s.HTTPHandler()))
	t.Cleanup(srv.Close)
	return &victim{s: s, srv: srv}
}

// do sends query (POST body, or GET ?query=) with params and an optional
// role; it returns status and body.
func (v *victim) do(t *testing.T, method, role, query string, params url.Values) (int, string) {
	t.Helper()
	if params == nil {
		params = url.Values{}
	}
	params.Set("database", v.s.Database)
	var body io.Reader
	if method == "GET" {
		params.Set("query", query)
	} else {
		body = strings.NewReader(query)
	}
	req, _ := http.NewRequest(method, v.srv.URL+"/?"+params.Encode(), body)
	if role != "" {
		req.Header.Set("X-Test-Role", role)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// intact checks ingest_log still holds its rows, through the store's own
// connection, and that the engine still answers.
func (v *victim) intact(t *testing.T) {
	t.Helper()
	var n uint64
	if err := v.s.Conn.QueryRow(context.Background(), "SELECT count() FROM ingest_log").Scan(&n); err != nil || n != 3 {
		t.Fatalf("ingest_log after the attack: %d rows, %v", n, err)
	}
}

func TestAttacksAreRefused(t *testing.T) {
	v := newVictim(t)
	hostFile := filepath.Join(t.TempDir(), "outfile.tsv")
	for _, tc := range []struct {
		name, method, role, query string
		params                    url.Values
		want                      string // in the refusal
	}{
		{"comment trick", "POST", "", "SELECT 1 /* ' */; DROP TABLE ingest_log", nil, "multi-statement"},
		{"comment trick read-only", "POST", "read", "SELECT 1 /* ' */; DROP TABLE ingest_log", nil, "multi-statement"},
		{"WITH … INSERT read-only", "POST", "", "WITH 1 AS x INSERT INTO ingest_log VALUES (9)", url.Values{"readonly": {"1"}}, "READONLY"},
		{"WITH … INSERT read key", "POST", "read", "WITH 1 AS x INSERT INTO ingest_log VALUES (9)", nil, "READONLY"},
		{"WITH … INSERT over GET", "GET", "admin", "WITH 1 AS x INSERT INTO ingest_log VALUES (9)", nil, "READONLY"},
		{"file table function", "POST", "read", "SELECT * FROM file('/etc/passwd', 'LineAsString')", nil, "file()"},
		{"file function", "POST", "", "SELECT file('/etc/hostname')", nil, "file()"},
		{"file function, gate key", "POST", "gate", "SELECT length(file('/etc/hostname'))", nil, "file()"},
		{"INTO OUTFILE", "POST", "", "SELECT * FROM ingest_log INTO OUTFILE '" + hostFile + "' APPEND", nil, "ACCESS_DENIED"},
		{"INTO OUTFILE read-only", "POST", "read", "SELECT 1 INTO OUTFILE '" + hostFile + "'", nil, "READONLY"},
		{"BACKUP", "POST", "ingest", "BACKUP TABLE ingest_log TO File('" + hostFile + "')", nil, "ACCESS_DENIED"},
		{"GET DROP", "GET", "", "DROP TABLE ingest_log", nil, "READONLY"},
		{"GET DROP as admin", "GET", "admin", "DROP TABLE ingest_log", nil, "READONLY"},
		{"DROP without a key", "POST", "", "DROP TABLE ingest_log", nil, "admin key"},
		{"TRUNCATE by an ingest key", "POST", "ingest", "TRUNCATE TABLE ingest_log", nil, "admin key"},
		{"INSERT … SELECT by an ingest key", "POST", "ingest", "INSERT INTO ingest_log SELECT number FROM numbers(5)", nil, "admin key"},
		{"SYSTEM SHUTDOWN", "POST", "", "SYSTEM SHUTDOWN", nil, "admin key"},
		{"SYSTEM SHUTDOWN, ingest key", "POST", "ingest", "SYSTEM SHUTDOWN", nil, "admin key"},
		{"SYSTEM SHUTDOWN, read key", "POST", "read", "SYSTEM SHUTDOWN", nil, "READONLY"},
		{"KILL", "POST", "", "KILL QUERY WHERE 1 ASYNC", nil, "admin key"},
		{"SQL after inline insert data", "POST", "ingest", "INSERT INTO ingest_log FORMAT TabSeparated\n\nDROP TABLE ingest_log\n", nil, "Code:"},
		{"readonly=2 is read-only too", "POST", "", "DROP TABLE ingest_log", url.Values{"readonly": {"2"}}, "READONLY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := v.do(t, tc.method, tc.role, tc.query, tc.params)
			if code == 200 || !strings.Contains(out, tc.want) {
				t.Fatalf("%s: %d %q, want a refusal naming %q", tc.query, code, out, tc.want)
			}
			v.intact(t)
			if _, err := os.Stat(hostFile); err == nil {
				t.Fatalf("%s wrote %s", tc.query, hostFile)
			}
		})
	}
	// Still serving, and an ingest key still inserts rows it sends.
	if code, out := v.do(t, "POST", "ingest", "SELECT count() FROM ingest_log", nil); code != 200 || strings.TrimSpace(out) != "3" {
		t.Fatalf("after the attacks: %d %q", code, out)
	}
}

// Every table function that reaches the network makes no request, whoever
// asks without an admin key (the read-write no-key case runs reads on a
// read-only connection too).
func TestNetworkTableFunctionsMakeNoRequest(t *testing.T) {
	v := newVictim(t)
	addr, hits := nettest.Witness(t) // counts any connection a statement makes
	sess := url.Values{"session_id": {"net"}}
	for _, q := range []string{
		"SELECT * FROM url('http://" + addr + "/x', CSV, 'a String')",
		"SELECT * FROM s3('http://" + addr + "/bucket/x.csv', CSV, 'a String')",
		"SELECT * FROM remote('" + addr + "', system.one)",
		"SELECT * FROM mysql('" + addr + "', 'db', 't', 'u', 'p')",
		"SELECT * FROM postgresql('" + addr + "', 'db', 't', 'u', 'p')",
		"SELECT * FROM executable('id', TabSeparated, 'a String')",
	} {
		for _, role := range []string{"", "read", "ingest"} {
			start := time.Now()
			code, out := v.do(t, "POST", role, q, nil)
			if code == 200 {
				t.Errorf("role %q: %s answered %q", role, q, out)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("role %q: %s took %v", role, q, d)
			}
		}
		if code, out := v.do(t, "POST", "", q, sess); code == 200 {
			t.Errorf("%s in a read-write session: %q", q, out)
		}
		if code, out := v.do(t, "POST", "ingest", "INSERT INTO ingest_log "+q, nil); code == 200 {
			t.Errorf("INSERT … %s by an ingest key: %q", q, out)
		}
	}
	if n := hits(); n != 0 {
		t.Fatalf("%d connections reached the listener", n)
	}
	v.intact(t)
}

// A client's USE or SET (with or without a session) never reaches
// evalhouse's own connection, nor other clients.
func TestClientStateNeverReachesIngest(t *testing.T) {
	v := newVictim(t)
	ctx := context.Background()
	for _, q := range []string{"SET max_result_rows = 1", "SET readonly = 1", "USE system"} {
		for _, sess := range []string{"", "s1"} {
			p := url.Values{}
			if sess != "" {
				p.Set("session_id", sess)
			}
			if code, out := v.do(t, "POST", "", q, p); code != 200 {
				t.Fatalf("%s (session %q): %d %q", q, sess, code, out)
			}
			if err := v.s.Conn.Exec(ctx, "INSERT INTO ingest_log VALUES (100)"); err != nil {
				t.Fatalf("ingest after a client's %s: %v", q, err)
			}
			if err := v.s.Conn.Exec(ctx, "ALTER TABLE ingest_log DELETE WHERE id = 100 SETTINGS mutations_sync = 1"); err != nil {
				t.Fatal(err)
			}
			if err := v.s.Conn.Ping(ctx); err != nil {
				t.Fatalf("ping after %s: %v", q, err)
			}
		}
	}
	v.intact(t)
	// The session kept its own state; a sessionless request sees none.
	q := "SELECT currentDatabase(), getSetting('max_result_rows'), getSetting('readonly')"
	if out := v.raw(t, "session_id=s1", q); out != "system\t1\t1\n" {
		t.Fatalf("session s1: %q", out)
	}
	if out := v.raw(t, "", q); out != "default\t0\t1\n" { // reads run read-only without an admin key
		t.Fatalf("sessionless after the client's USE/SET: %q", out)
	}
}

// raw posts query with exactly the URL parameters given (no database).
func (v *victim) raw(t *testing.T, params, query string) string {
	t.Helper()
	resp, err := http.Post(v.srv.URL+"/?"+params, "text/plain", strings.NewReader(query))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestSessionsAreTheirOwn(t *testing.T) {
	v := newVictim(t)
	set := func(role, id, val string) {
		if code, out := v.do(t, "POST", role, "SET max_threads = "+val, url.Values{"session_id": {id}}); code != 200 {
			t.Fatalf("SET in %s/%s: %d %q", role, id, code, out)
		}
	}
	get := func(role, id string) string {
		p := url.Values{}
		if id != "" {
			p.Set("session_id", id)
		}
		code, out := v.do(t, "POST", role, "SELECT getSetting('max_threads')", p)
		if code != 200 {
			t.Fatalf("read in %s/%s: %d %q", role, id, code, out)
		}
		return strings.TrimSpace(out)
	}
	set("", "a", "3")
	set("admin", "a", "5") // same id, another principal: another session
	set("", "b", "7")
	if a, a2, b := get("", "a"), get("admin", "a"), get("", "b"); a != "3" || a2 != "5" || b != "7" {
		t.Fatalf("sessions a=%s admin/a=%s b=%s", a, a2, b)
	}
	// A session of a key that is not an admin's is read-only for its whole
	// life (its scope's filters must hold): SET and writes are refused in
	// it, reads work.
	if code, out := v.do(t, "POST", "ingest", "SET max_threads = 2", url.Values{"session_id": {"a"}}); code == 200 || !strings.Contains(out, "read-only") {
		t.Fatalf("SET in an ingest key's session: %d %q", code, out)
	}
	if got := get("ingest", "a"); got == "3" || got == "5" {
		t.Fatalf("the ingest key's session a sees another's max_threads=%s", got)
	}
	if d := get("", ""); d == "3" || d == "5" || d == "7" {
		t.Fatalf("sessionless request sees a session's max_threads=%s", d)
	}
	if code, out := v.do(t, "POST", "", "SELECT 1", url.Values{"session_id": {"nope"}, "session_check": {"1"}}); code == 200 || !strings.Contains(out, "SESSION_NOT_FOUND") {
		t.Fatalf("session_check of an unknown session: %d %q", code, out)
	}
	if code, out := v.do(t, "POST", "", "SELECT 1", url.Values{"session_id": {"c"}, "session_timeout": {"99999"}}); code == 200 || !strings.Contains(out, "session_timeout") {
		t.Fatalf("session_timeout out of range: %d %q", code, out)
	}
	// A session expires after its session_timeout.
	if code, out := v.do(t, "POST", "", "SET max_threads = 2", url.Values{"session_id": {"short"}, "session_timeout": {"1"}}); code != 200 {
		t.Fatalf("%d %q", code, out)
	}
	time.Sleep(1100 * time.Millisecond)
	if code, out := v.do(t, "POST", "", "SELECT 1", url.Values{"session_id": {"short"}, "session_check": {"1"}}); code == 200 || !strings.Contains(out, "SESSION_NOT_FOUND") {
		t.Fatalf("expired session still there: %d %q", code, out)
	}
}

// Settings in one client's URL never change a concurrent client's answer
// (issue 9: max_result_rows=1 truncated another answer 3 times in 1,000).
func TestPerRequestSettingsNeverLeak(t *testing.T) {
	v := newVictim(t)
	var wg sync.WaitGroup
	var bad atomic.Int64
	errs := make(chan string, 10)
	for w := 0; w < 2; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 150; i++ {
				v.do(t, "POST", "", "SELECT number FROM numbers(10)", url.Values{"max_result_rows": {"1"}, "result_overflow_mode": {"break"}})
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 150; i++ {
				code, out := v.do(t, "POST", "", "SELECT number FROM numbers(10)", nil)
				if code != 200 || strings.Count(out, "\n") != 10 {
					if bad.Add(1) == 1 {
						errs <- fmt.Sprintf("%d %q", code, out)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d of 300 answers were cut by another client's settings; first: %s", n, <-errs)
	}
}

// A statement that fails part-way leaves nothing for the next answer on
// its connection (a session pins the connection).
func TestFailedQueryLeaksNoRows(t *testing.T) {
	v := newVictim(t)
	fail := "SELECT number, throwIf(number = 50000) FROM numbers(100000) SETTINGS max_block_size = 1000"
	for _, p := range []url.Values{{"session_id": {"leak"}}, {}} {
		for _, format := range []string{"TabSeparated", "JSON", "CSVWithNames"} {
			p.Set("default_format", format)
			if code, _ := v.do(t, "POST", "", fail, p); code == 200 {
				t.Fatal("the failing query succeeded")
			}
			p.Set("default_format", "TabSeparated")
			if code, out := v.do(t, "POST", "", "SELECT 'next'", p); code != 200 || out != "next\n" {
				t.Fatalf("answer after a failed %s query (%v): %d %.200q", format, p, code, out)
			}
		}
	}
}

const longQuery = "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 0"

// A multi-second interface query never stalls evalhouse's own writes.
func TestLongQueryDoesNotStallIngest(t *testing.T) {
	v := newVictim(t)
	ctx := context.Background()
	queryDone := make(chan time.Time, 1)
	go func() {
		v.do(t, "POST", "", longQuery, url.Values{"max_threads": {"1"}, "max_execution_time": {"3"}})
		queryDone <- time.Now()
	}()
	time.Sleep(300 * time.Millisecond) // the query is running
	for i := 0; i < 5; i++ {
		b, err := v.s.Conn.PrepareBatch(ctx, "INSERT INTO ingest_log")
		if err != nil {
			t.Fatal(err)
		}
		b.Append(uint64(1000 + i))
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
		if err := v.s.Conn.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	writesDone := time.Now()
	select {
	case end := <-queryDone:
		t.Fatalf("the query ended (%v) before the writes (%v)", end, writesDone)
	default:
	}
	if end := <-queryDone; !end.After(writesDone) {
		t.Fatalf("writes finished at %v, after the query's end %v", writesDone, end)
	}
}

// A client that goes away has its query killed, and the default time limit
// ends a query nobody cancels.
func TestQueriesEndWithTheirClient(t *testing.T) {
	v := newVictim(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", v.srv.URL+"/?max_threads=1", strings.NewReader(longQuery+" /* disconnect-victim */"))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the long query answered")
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		var n uint64
		if err := v.s.Conn.QueryRow(context.Background(), "SELECT count() FROM system.processes WHERE query LIKE '%disconnect-victim%' AND query NOT LIKE '%system.processes%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the query still runs 3 s after its client left")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
