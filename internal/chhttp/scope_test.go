package chhttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/chhttp"
	"github.com/evalhouse/evalhouse/internal/storetest"
)

// scoped serves the interface with keys standing in as the guard would
// set them: X-Key: role[/tenant].
func scoped(t *testing.T) (func(key, query string, params url.Values) (int, string), func(q string) string) {
	t.Helper()
	s := storetest.New(t)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE agent_events (tenant String, event_id String) ENGINE = MergeTree ORDER BY (tenant, event_id)",
		"CREATE TABLE api_keys (name String, key_hash String) ENGINE = MergeTree ORDER BY name",
		"CREATE TABLE gate_decisions (release String) ENGINE = MergeTree ORDER BY release",
		"INSERT INTO agent_events VALUES ('acme', 'a1'), ('acme', 'a2'), ('globex', 'g1')",
		"INSERT INTO api_keys VALUES ('ci', 'deadbeef')",
		"INSERT INTO gate_decisions VALUES ('2.4.0')",
	} {
		if err := s.Conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := r.Header.Get("X-Key"); k != "" {
			role, tenant, _ := strings.Cut(k, "/")
			r = r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Name: k, Role: auth.Role(role), Tenant: tenant}))
		}
		s.HTTPHandler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	do := func(key, query string, params url.Values) (int, string) {
		t.Helper()
		if params == nil {
			params = url.Values{}
		}
		params.Set("database", s.Database)
		req, _ := http.NewRequest("POST", srv.URL+"/?"+params.Encode(), strings.NewReader(query))
		if key != "" {
			req.Header.Set("X-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	own := func(q string) string { // through the store's own connection
		t.Helper()
		var n uint64
		if err := s.Conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return itoa(n)
	}
	return do, own
}

func itoa(n uint64) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}

// A tenant-scoped key reads its tenant's rows only, whatever it sends:
// the engine applies the filter to every read of the table (subqueries,
// joins, views), the key cannot change or drop it (its connection is
// read-only; the setting in the URL is ignored), table functions that
// read tables by name are refused, and tables that span tenants show no
// rows.
func TestTenantScopedReadKeySeesItsTenantOnly(t *testing.T) {
	do, _ := scoped(t)
	for _, c := range []struct{ name, query, want string }{
		{"count", "SELECT count() FROM agent_events", "2"},
		{"tenants", "SELECT groupUniqArray(tenant) FROM agent_events", "['acme']"},
		{"subquery", "SELECT count() FROM (SELECT * FROM agent_events WHERE tenant = 'globex')", "0"},
		{"join", "SELECT count() FROM agent_events AS a JOIN agent_events AS b ON a.tenant = b.tenant WHERE b.tenant = 'globex'", "0"},
		{"IN", "SELECT 'globex' IN (SELECT tenant FROM agent_events)", "0"},
		{"view()", "SELECT count() FROM view(SELECT * FROM agent_events)", "2"},
		{"shared table", "SELECT count() FROM gate_decisions", "0"},
		{"keys", "SELECT count() FROM api_keys", "0"},
	} {
		if code, out := do("read/acme", c.query, nil); code != 200 || out != c.want {
			t.Errorf("%s: %s → %d %q, want %q", c.name, c.query, code, out, c.want)
		}
	}
	if code, out := do("read/acme", "SELECT count() FROM agent_events", url.Values{"additional_table_filters": {"{}"}}); code != 200 || out != "2" {
		t.Errorf("a filter setting in the URL: %d %q, want it ignored (2)", code, out)
	}
	for _, q := range []string{
		"SELECT count() FROM agent_events SETTINGS additional_table_filters = {}",
		"SELECT count() FROM merge(currentDatabase(), '^agent_events$')",
		"SELECT count() FROM loop(currentDatabase(), agent_events) LIMIT 10",
		"SELECT count() FROM mergeTreeIndex(currentDatabase(), agent_events)",
	} {
		if code, out := do("read/acme", q, nil); code == 200 {
			t.Errorf("%s: %d %q, want a refusal", q, code, out)
		}
	}
	if code, out := do("read/acme", "SELECT count() FROM agent_events", url.Values{"session_id": {"s1"}}); code != 200 || out != "2" {
		t.Errorf("in a session: %d %q", code, out)
	}
	// An unscoped read key sees every tenant, but never the keys.
	if code, out := do("read", "SELECT count() FROM agent_events", nil); code != 200 || out != "3" {
		t.Errorf("unscoped read key: %d %q", code, out)
	}
	if code, out := do("gate", "SELECT count() FROM api_keys", nil); code != 200 || out != "0" {
		t.Errorf("gate key reading api_keys: %d %q, want 0 rows", code, out)
	}
	if code, out := do("admin", "SELECT count() FROM api_keys", nil); code != 200 || out != "1" {
		t.Errorf("admin reading api_keys: %d %q", code, out)
	}
}

// An ingest key inserts rows it sends into agent_events and nowhere else:
// not into api_keys (to mint itself a key), not at all when it is
// tenant-scoped (its tenant is checked per event on /v1/events).
func TestIngestKeyInsertsIntoAgentEventsOnly(t *testing.T) {
	do, own := scoped(t)
	if code, out := do("ingest", "INSERT INTO agent_events FORMAT TabSeparated\nacme\ta9\n", nil); code != 200 {
		t.Fatalf("ingest key into agent_events: %d %q", code, out)
	}
	for key, q := range map[string]string{
		"ingest":      "INSERT INTO api_keys VALUES ('mine', 'cafe')",
		"ingest ":     "INSERT INTO api_keys FORMAT TabSeparated\nmine\tcafe\n",
		"ingest/acme": "INSERT INTO agent_events FORMAT TabSeparated\nglobex\tg9\n",
	} {
		if code, out := do(strings.TrimSpace(key), q, nil); code == 200 || !strings.Contains(out, "ACCESS_DENIED") {
			t.Errorf("%s: %s → %d %q, want ACCESS_DENIED", key, q, code, out)
		}
	}
	if n := own("SELECT count() FROM api_keys"); n != "1" {
		t.Errorf("api_keys holds %s rows, want 1", n)
	}
	if n := own("SELECT count() FROM agent_events WHERE tenant = 'globex'"); n != "1" {
		t.Errorf("globex rows: %s, want 1", n)
	}
}

// Every table the migrations create is classified: a tenant's rows, shared
// (a tenant-scoped key sees none) or secret (an admin's alone). A new table
// left out would be open to every key through the interface.
func TestEveryTableIsScoped(t *testing.T) {
	files, err := filepath.Glob("../../schema/migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	create := regexp.MustCompile(`(?i)CREATE\s+(?:TABLE|MATERIALIZED\s+VIEW)\s+IF\s+NOT\s+EXISTS\s+([a-z_0-9]+)`)
	known := map[string]bool{}
	for _, l := range [][]string{chhttp.TenantTables, chhttp.SharedTables, chhttp.SecretTables} {
		for _, tb := range l {
			known[tb] = true
		}
	}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range create.FindAllStringSubmatch(string(b), -1) {
			seen++
			if !known[m[1]] && !strings.HasSuffix(m[1], "_mv") {
				t.Errorf("%s creates %s, which internal/chhttp/scope.go does not classify (tenantTables, sharedTables or secretTables)", filepath.Base(f), m[1])
			}
		}
	}
	if seen < 10 {
		t.Errorf("found %d CREATE statements: is the pattern stale?", seen)
	}
}
