package chhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/keys"
	"github.com/evalhouse/evalhouse/schema"
)

// clickhouseJSVersion is the @clickhouse/client release `make clickhouse-js`
// fetches (the Makefile's CLICKHOUSE_JS_VERSION): the test checks the
// package it runs is this one.
const clickhouseJSVersion = "1.23.1"

// clickhouseJS returns the unpacked @clickhouse/client: $CLICKHOUSE_JS_PATH
// (set by make), else the cache `make clickhouse-js` fills. It fails the
// test, naming `make test`, when node or the package is missing.
func clickhouseJS(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not installed (%v): the JS client test needs Node 20 or later, as `make test` does", err)
	}
	dir := os.Getenv("CLICKHOUSE_JS_PATH")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("no cache directory for @clickhouse/client: %v; set CLICKHOUSE_JS_PATH or run `make test`", err)
		}
		dir = filepath.Join(cache, "evalhouse", "clickhouse-js", clickhouseJSVersion)
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatalf("@clickhouse/client not found (%v): `make test` (or `make clickhouse-js`) fetches it", err)
	}
	var pkg struct{ Name, Version string }
	if err := json.Unmarshal(b, &pkg); err != nil || pkg.Name != "@clickhouse/client" || pkg.Version != clickhouseJSVersion {
		t.Fatalf("%s: %s %s (%v), want @clickhouse/client %s: keep the Makefile's CLICKHOUSE_JS_VERSION and this test in step",
			dir, pkg.Name, pkg.Version, err, clickhouseJSVersion)
	}
	return dir
}

// seen records, per request the client made, the encodings it sent and
// got, so the test knows compression was used and not just offered.
type seen struct {
	mu   sync.Mutex
	reqs []string // "METHOD statement-or-path body-encoding→answer-encoding"
}

func (s *seen) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		what := r.URL.Query().Get("query")
		if what == "" {
			what = r.URL.Path
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Method+" "+what+" "+r.Header.Get("Content-Encoding")+"→"+w.Header().Get("Content-Encoding"))
		s.mu.Unlock()
	})
}

func (s *seen) has(t *testing.T, prefix, encodings string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.reqs {
		if strings.HasPrefix(r, prefix) && strings.HasSuffix(r, " "+encodings) {
			return
		}
	}
	t.Errorf("no request %q with encodings %q; saw %q", prefix, encodings, s.reqs)
}

// The official JS client, as an application uses it, through the real key
// guard (its username/password basic auth, the key as the password), with
// gzip on requests and answers: every step lands or fails as ClickHouse's
// would, and the store holds exactly the rows it inserted.
func TestJSClient(t *testing.T) {
	pkg := clickhouseJS(t)
	ctx := context.Background()
	s := storetest.New(t)
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	ks := keys.New(s.Conn)
	adminKey, _, err := ks.Create(ctx, keys.Spec{Name: "js-admin", Role: auth.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	readKey, _, err := ks.Create(ctx, keys.Spec{Name: "js-read", Role: auth.RoleRead})
	if err != nil {
		t.Fatal(err)
	}
	// As serve guards --clickhouse-listen: any valid key, /ping public.
	policy := func(r *http.Request) keys.Need {
		if r.URL.Path == "/ping" {
			return keys.Public
		}
		return keys.AnyKey
	}
	var log seen
	guard := keys.NewVerifier(ks, 0).Guard(s.HTTPHandler(), policy, keys.GuardOptions{ClickHouse: true})
	srv := httptest.NewServer(log.wrap(guard))
	defer srv.Close()

	const rows = 10_000
	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, "node", filepath.Join("testdata", "jsclient", "client.mjs"))
	cmd.Env = append(os.Environ(), "CLICKHOUSE_JS_PATH="+pkg, "EH_URL="+srv.URL, "EH_DATABASE="+s.Database,
		"EH_ADMIN_KEY="+adminKey, "EH_READ_KEY="+readKey, "EH_ROWS="+strconv.Itoa(rows))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("node client.mjs: %v\n%s%s", err, stderr.String(), stdout.String())
	}
	t.Logf("@clickhouse/client %s: the script ran in %v", clickhouseJSVersion, time.Since(start).Round(time.Millisecond))

	type failure struct {
		Code, Type *string
		Message    string
	}
	var got struct {
		Ping bool
		JSON struct {
			Rows, Data int
			Columns    []string
			Last       struct {
				ID    int
				Name  string
				Score float64
				Tags  []string
			}
		}
		Stream struct {
			Rows    int
			InOrder bool
		}
		BadQuery *failure
		Read     struct {
			Count       int
			Insert, DDL *failure
		}
		WrongKey *failure
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("client.mjs printed %q: %v", stdout.String(), err)
	}
	t.Logf("client saw %s", stdout.String())

	if !got.Ping {
		t.Error("ping: not successful")
	}
	j := got.JSON
	if j.Rows != rows || j.Data != rows || strings.Join(j.Columns, ", ") != "id UInt32, name String, score Float64, tags Array(String)" ||
		j.Last.ID != rows-1 || j.Last.Name != "row-9999" || j.Last.Score != 9999.0/4 || strings.Join(j.Last.Tags, ",") != "t,0" {
		t.Errorf("JSON read: %+v", j)
	}
	if got.Stream.Rows != rows || !got.Stream.InOrder {
		t.Errorf("stream read: %+v", got.Stream)
	}
	code := func(name string, f *failure, want string, says string) {
		t.Helper()
		if f == nil || f.Code == nil || *f.Code != want || !strings.Contains(f.Message, says) {
			t.Errorf("%s: the client reported %+v, want code %s saying %q", name, f, want, says)
		}
	}
	code("bad query", got.BadQuery, "60", "no_such_table")
	if got.BadQuery != nil && (got.BadQuery.Type == nil || *got.BadQuery.Type != "UNKNOWN_TABLE") {
		t.Errorf("bad query: type %v, want UNKNOWN_TABLE", got.BadQuery.Type)
	}
	if got.Read.Count != rows {
		t.Errorf("read key: count %d", got.Read.Count)
	}
	code("read key INSERT", got.Read.Insert, "164", "INSERT changes the store")
	code("read key DROP", got.Read.DDL, "164", "DROP changes the store")
	// The key guard's refusal reaches the application whole, with its
	// code parsed as from ClickHouse ("… (AUTHENTICATION_FAILED)").
	if f := got.WrongKey; f == nil || !strings.Contains(f.Message, "invalid key") ||
		!(f.Code != nil && *f.Code == "516") {
		t.Errorf("wrong key: the client reported %+v, want code 516, invalid key", f)
	}

	// What landed, through the store's own connection.
	var n, sum, intruders uint64
	if err := s.Conn.QueryRow(ctx, "SELECT count(), sum(id), countIf(name = 'intruder') FROM js_rows").Scan(&n, &sum, &intruders); err != nil {
		t.Fatal(err)
	}
	if n != rows || sum != rows*(rows-1)/2 || intruders != 0 {
		t.Errorf("js_rows holds %d rows, sum(id) %d, %d from the read key", n, sum, intruders)
	}
	log.has(t, "POST INSERT INTO js_rows", "gzip→")
	log.has(t, "POST /", "→gzip")
}
