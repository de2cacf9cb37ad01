package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/keys"
)

// createKey runs `keys create` and returns the key: the last line of its
// output, which must appear nowhere else in it.
func createKey(t *testing.T, store string, args ...string) string {
	t.Helper()
	out, code := run(t, nil, append([]string{store, "keys", "create"}, args...)...)
	if code != 0 {
		t.Fatalf("keys create %v: exit %d\n%s", args, code, out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	key := lines[len(lines)-1]
	if !strings.HasPrefix(key, keys.Prefix) || strings.Count(out, key) != 1 {
		t.Fatalf("keys create %v: the key is not alone on the last line, once:\n%s", args, out)
	}
	return key
}

// Without a key, serve refuses every address beyond loopback, for the API
// and the ClickHouse interface, and says how to create a key; flags it
// cannot serve with (a --rules-dir that is missing, a bootstrap key file
// that is missing or empty) stop it at start.
func TestServeListenPolicyWithoutKeys(t *testing.T) {
	store, _ := storeFlag(t)
	for _, args := range [][]string{
		{"--listen", "0.0.0.0:0"},
		{"--listen", ":0"},
		{"--listen", "[::]:0"},
	} {
		out, code := run(t, nil, append([]string{store, "serve"}, args...)...)
		if code != exitUsage || !strings.Contains(out, "beyond loopback, and no key exists") || !strings.Contains(out, "evalhouse keys create --role admin") {
			t.Errorf("serve %v without keys: exit %d\n%s", args, code, out)
		}
	}
	// The ClickHouse interface reads every row: without keys it is not
	// exposed at all, not even on loopback.
	for _, addr := range []string{"0.0.0.0:0", "127.0.0.1:0"} {
		out, code := run(t, nil, store, "serve", "--listen", "127.0.0.1:0", "--clickhouse-listen", addr)
		if code != exitUsage || !strings.Contains(out, "exposed only with keys") || !strings.Contains(out, "evalhouse keys create --role admin") {
			t.Errorf("serve --clickhouse-listen %s without keys: exit %d\n%s", addr, code, out)
		}
	}
	out, code := run(t, nil, store, "serve", "--listen", "127.0.0.1:0", "--rules-dir", "/nonexistent/rules")
	if code != exitUsage || !strings.Contains(out, "--rules-dir") {
		t.Errorf("a missing --rules-dir: exit %d\n%s", code, out)
	}
	empty := filepath.Join(t.TempDir(), "key")
	os.WriteFile(empty, nil, 0o600)
	for _, f := range []string{empty, "/nonexistent/key"} {
		t.Setenv(envBootstrapKeyFile, f)
		if out, code := run(t, nil, store, "serve", "--listen", "127.0.0.1:0"); code == 0 || !strings.Contains(out, envBootstrapKeyFile) {
			t.Errorf("bootstrap key file %s: exit %d\n%s", f, code, out)
		}
	}
}

type reply struct {
	code int
	hdr  http.Header
	body string
}

func do(t *testing.T, method, url, key string, body []byte, hdr ...string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// Every door of a served store with keys, tried as an attacker would, end
// to end: through real HTTP and the CLI.
func TestServeWithKeys(t *testing.T) {
	store, _ := storeFlag(t)
	admin := createKey(t, store, "--role", "admin", "--name", "ops")
	acme := createKey(t, store, "--role", "ingest", "--tenant", "acme", "--name", "acme-in")
	globex := createKey(t, store, "--role", "ingest", "--tenant", "globex", "--name", "globex-in")
	reader := createKey(t, store, "--role", "read", "--name", "analyst")
	ci := createKey(t, store, "--role", "gate", "--name", "ci")
	if out, code := run(t, nil, store, "keys", "create", "--role", "admin", "--tenant", "acme"); code != exitUsage {
		t.Fatalf("a tenant-scoped admin key: exit %d\n%s", code, out)
	}
	out, code := run(t, nil, store, "keys", "list")
	if code != 0 || !strings.Contains(out, "acme-in") || !strings.Contains(out, "globex") {
		t.Fatalf("keys list: exit %d\n%s", code, out)
	}
	for _, k := range []string{admin, acme, globex, reader, ci} {
		if strings.Contains(out, k) || strings.Contains(out, keys.Hash(k)) {
			t.Fatalf("keys list shows a key or its hash:\n%s", out)
		}
	}

	// With keys, serve may listen on every interface.
	lines, done, cancel := background(t, store, "serve", "--listen", "0.0.0.0:0", "--clickhouse-listen", "127.0.0.1:0",
		"--rules-dir", filepath.Join(exampleRoot, "rules"))
	port := lines.waitFor(t, regexp.MustCompile(`ingest API on http://\S*:(\d+)$`))
	api := "http://127.0.0.1:" + port
	ch := lines.waitFor(t, regexp.MustCompile(`ClickHouse HTTP interface .* on (http://\S+)`))
	lines.waitFor(t, regexp.MustCompile(`configuration (sha256:[0-9a-f]{16})`))

	events, _ := os.ReadFile(filepath.Join(examples, "events-2.3.1.ndjson")) // every event names tenant acme
	nd := []string{"Content-Type", "application/x-ndjson"}
	if r := do(t, "GET", api+"/healthz", "", nil); r.code != 200 {
		t.Fatalf("/healthz without a key: %d", r.code)
	}
	for _, a := range []struct {
		name, key string
		want      int
	}{
		{"no key", "", 401}, {"wrong key", acme + "x", 401}, {"a read key", reader, 403}, {"a gate key", ci, 403},
	} {
		r := do(t, "POST", api+"/v1/events", a.key, events, nd...)
		if r.code != a.want || (r.code == 401 && r.hdr.Get("WWW-Authenticate") == "") {
			t.Errorf("POST /v1/events with %s: %d %s", a.name, r.code, r.body)
		}
	}
	if r := do(t, "POST", api+"/v1/traces", reader, []byte("{}"), "Content-Type", "application/json"); r.code != 403 {
		t.Errorf("POST /v1/traces with a read key: %d", r.code)
	}
	// globex's key cannot write acme's events; acme's key can.
	if r := do(t, "POST", api+"/v1/events", globex, events, nd...); r.code != 400 || !strings.Contains(r.body, `field \"tenant\"`) {
		t.Fatalf("acme's events with globex's key: %d %.300s", r.code, r.body)
	}
	// globex pre-claims acme's event_ids by sending them naming no tenant:
	// they land in globex, and acme's own events are no duplicates.
	want := countLines(t, filepath.Join(examples, "events-2.3.1.ndjson"))
	unnamed := bytes.ReplaceAll(events, []byte(`"tenant":"acme",`), nil)
	if r := do(t, "POST", api+"/v1/events", globex, unnamed, nd...); r.code != 200 || !strings.Contains(r.body, fmt.Sprintf(`"accepted":%d`, want)) {
		t.Fatalf("globex's pre-claim: %d %.300s", r.code, r.body)
	}
	if r := do(t, "POST", api+"/v1/events", acme, events, nd...); r.code != 200 ||
		!strings.Contains(r.body, fmt.Sprintf(`"accepted":%d`, want)) || !strings.Contains(r.body, `"duplicates":0`) {
		t.Fatalf("acme's events with acme's key, after globex's pre-claim: %d %.300s", r.code, r.body)
	}

	// The ClickHouse interface: no key is refused; the key works as
	// --store http://NAME:KEY@HOST:PORT, whatever the name.
	if r := do(t, "POST", ch+"/", "", []byte("SELECT 1")); r.code != 401 || r.hdr.Get("X-ClickHouse-Exception-Code") != "516" {
		t.Fatalf("the interface without a key: %d %s", r.code, r.body)
	}
	host := strings.TrimPrefix(ch, "http://")
	withKey := func(name, key string) string { return "--store=http://" + name + ":" + key + "@" + host + "/default" }
	if got := sqlCount(t, withKey("analyst", reader), "SELECT count() FROM agent_events WHERE tenant = 'acme'"); got != want {
		t.Fatalf("sql over the interface with a read key: %d rows, want %d", got, want)
	}
	if got := sqlCount(t, withKey("analyst", reader), "SELECT count() FROM agent_events WHERE tenant = 'globex'"); got != want {
		t.Fatalf("globex holds %d rows, want its %d claims", got, want)
	}
	if out, code := run(t, nil, withKey("analyst", reader+"x"), "sql", "SELECT 1"); code == 0 || strings.Contains(out, reader) {
		t.Fatalf("sql with a wrong key: exit %d (the key must not be echoed)\n%s", code, out)
	}
	if out, code := run(t, nil, "--store=http://"+host+"/default", "sql", "SELECT 1"); code == 0 {
		t.Fatalf("sql with no key: %s", out)
	}

	// Gates: GET needs read, POST needs gate, and rules come only from
	// --rules-dir: a config naming /etc is 400, saying nothing of /etc.
	if r := do(t, "GET", api+"/v1/gates?release=2.3.1", acme, nil); r.code != 403 {
		t.Errorf("GET /v1/gates with an ingest key: %d", r.code)
	}
	if r := do(t, "GET", api+"/v1/gates?release=2.3.1", reader, nil); r.code != 404 {
		t.Errorf("GET /v1/gates with a read key: %d %s", r.code, r.body)
	}
	gateYAML, _ := os.ReadFile(filepath.Join(exampleRoot, "gate.yaml"))
	if r := do(t, "POST", api+"/v1/gates?release=2.3.1", reader, gateYAML); r.code != 403 {
		t.Errorf("POST /v1/gates with a read key: %d", r.code)
	}
	etc := bytes.Replace(gateYAML, []byte("rules: rules"), []byte("rules: /etc"), 1)
	if r := do(t, "POST", api+"/v1/gates?release=2.3.1", ci, etc); r.code != 400 || strings.Contains(r.body, "/etc") {
		t.Errorf("POST /v1/gates naming /etc: %d %s", r.code, r.body)
	}
	if r := do(t, "POST", api+"/v1/gates?release=2.3.1&owner=someone-else", ci, gateYAML); r.code != 200 || !strings.Contains(r.body, `"verdict"`) || !strings.Contains(r.body, `"decided_by": "key ci"`) {
		t.Errorf("POST /v1/gates with the server's rules: %d %.300s (want the evidence to name the key that asked)", r.code, r.body)
	}

	// Revoked through the store while serve runs (the CLI over the
	// interface, with the admin key): refused within 5 s.
	if out, code := run(t, nil, withKey("ops", admin), "keys", "revoke", "acme-in"); code != 0 || !strings.Contains(out, "revoked key acme-in") {
		t.Fatalf("keys revoke over the interface: exit %d\n%s", code, out)
	}
	revoked := time.Now()
	for {
		r := do(t, "POST", api+"/v1/events", acme, events, nd...)
		if r.code == 401 {
			break
		}
		if time.Since(revoked) > 5*time.Second {
			t.Fatalf("a revoked key still passes %s after revocation: %d", time.Since(revoked), r.code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("revoked key refused after %s", time.Since(revoked).Round(time.Millisecond))

	cancel()
	select {
	case out := <-done:
		for _, k := range []string{admin, acme, globex, reader, ci} {
			if strings.Contains(out, k) {
				t.Fatalf("serve's output holds a key:\n%s", out)
			}
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// A deployment's first key comes from a file (EVALHOUSE_BOOTSTRAP_KEY_FILE,
// a Docker secret): serve adds it as an admin key, may then listen beyond
// loopback, and never prints it.
func TestServeBootstrapKey(t *testing.T) {
	store, _ := storeFlag(t)
	secret := fmt.Sprintf("%064x", time.Now().UnixNano())
	file := filepath.Join(t.TempDir(), "bootstrap.key")
	os.WriteFile(file, []byte(secret+"\n"), 0o600)
	t.Setenv(envBootstrapKeyFile, file)
	lines, done, cancel := background(t, store, "serve", "--listen", "0.0.0.0:0")
	port := lines.waitFor(t, regexp.MustCompile(`ingest API on http://\S*:(\d+)$`))
	lines.waitFor(t, regexp.MustCompile(`(bootstrap admin key bootstrap-[0-9a-f]{8}) added`))
	if r := do(t, "GET", "http://127.0.0.1:"+port+"/v1/gates?release=x", secret, nil); r.code != 404 {
		t.Fatalf("GET /v1/gates with the bootstrap key: %d %s", r.code, r.body)
	}
	if r := do(t, "GET", "http://127.0.0.1:"+port+"/v1/gates?release=x", "", nil); r.code != 401 {
		t.Fatalf("GET /v1/gates without a key: %d", r.code)
	}
	cancel()
	if out := <-done; strings.Contains(out, secret) {
		t.Fatalf("serve printed the bootstrap key:\n%s", out)
	}
}
