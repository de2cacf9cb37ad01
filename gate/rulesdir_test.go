package gate_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/gate"
)

// POST /v1/gates loads rules only from the server's --rules-dir: a config
// naming /etc, a path that exists, one that does not, or a way out by ".."
// gets the same 400, with nothing stored and nothing said about the path.
func TestPostedRulesOnlyFromServerDirs(t *testing.T) {
	w := newWorld(t, 4)
	c := w.publish(t)
	w.runs(t, "2.4.0", 4, "")
	w.results(t, "2.4.0", "task_success", 4, 0)
	w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 0)
	dir := c.RulesDir()
	other := t.TempDir() // a real directory of rules the server was not started with
	b, _ := os.ReadFile(filepath.Join(dir, "rules.yaml"))
	os.WriteFile(filepath.Join(other, "rules.yaml"), b, 0o644)
	srv := httptest.NewServer(gate.Handler(w.s.Conn, gate.RulesDirs(dir)))
	defer srv.Close()
	post := func(rules string) (int, string) {
		t.Helper()
		body := baseCfg
		if rules != "" {
			body += "rules: " + rules + "\n"
		}
		resp, err := http.Post(srv.URL+"/v1/gates", "application/yaml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var first string
	for _, p := range []string{"/etc", "/nonexistent/x", other, filepath.Join(dir, "..", filepath.Base(other)), "../../etc", "/"} {
		code, body := post(p)
		var e struct{ Error string }
		json.Unmarshal([]byte(body), &e)
		if code != 400 || !strings.Contains(e.Error, "not one of this server's rules directories") || strings.Contains(body, p) {
			t.Errorf("rules: %s → %d %s", p, code, body)
		}
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("rules: %s answers differently from /etc (it reveals something about the path):\n%s\n%s", p, body, first)
		}
	}
	var n uint64
	w.s.Conn.QueryRow(t.Context(), "SELECT count() FROM gate_decisions").Scan(&n)
	if n != 0 {
		t.Fatalf("%d decisions stored from refused configs", n)
	}
	// The server's directory, by its path, by its name, or omitted: a decision.
	for _, p := range []string{dir, filepath.Base(dir), ""} {
		if code, body := post(p); code != 200 || !strings.Contains(body, `"verdict": "pass"`) {
			t.Errorf("rules: %q → %d %s", p, code, body)
		}
	}
	// A server without --rules-dir evaluates no posted config.
	bare := httptest.NewServer(gate.Handler(w.s.Conn))
	defer bare.Close()
	resp, _ := http.Post(bare.URL+"/v1/gates", "application/yaml", strings.NewReader(baseCfg))
	if resp.StatusCode != 400 {
		t.Fatalf("no --rules-dir: %d", resp.StatusCode)
	}
	resp.Body.Close()
}
