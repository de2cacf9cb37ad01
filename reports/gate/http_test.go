package gate_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/reports/gate"
)

// CI systems that query instead of running the binary: GET the last
// decision, POST a config to evaluate one.
func TestGatesOverHTTP(t *testing.T) {
	w := newWorld(t, 4)
	srv := httptest.NewServer(gate.Handler(w.s.Conn))
	defer srv.Close()
	decode := func(resp *http.Response) gate.Decision {
		t.Helper()
		defer resp.Body.Close()
		var d gate.Decision
		json.NewDecoder(resp.Body).Decode(&d)
		return d
	}

	resp, _ := http.Get(srv.URL + "/v1/gates?release=2.4.0")
	if resp.StatusCode != 404 {
		t.Fatalf("no decision yet: %d", resp.StatusCode)
	}
	resp.Body.Close()
	w.runs(t, "2.4.0", 4, "")
	w.results(t, "2.4.0", "task_success", 4, 2)
	w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 0)
	d := evaluate(t, w, cfg(t, baseCfg), gate.Options{Commit: "c0ffee"})
	if err := gate.Record(context.Background(), w.s.Conn, d); err != nil {
		t.Fatal(err)
	}
	resp, _ = http.Get(srv.URL + "/v1/gates?release=2.4.0&dataset=support-bot@v1")
	if got := decode(resp); resp.StatusCode != 200 || got.Verdict != gate.Fail || got.Commit != "c0ffee" {
		t.Fatalf("GET: %d %+v", resp.StatusCode, got)
	}

	// A posted config naming a dataset version that doesn't exist is an
	// error decision (exit 3), answered and stored, never a pass.
	resp, _ = http.Post(srv.URL+"/v1/gates?release=2.5.0", "application/yaml",
		strings.NewReader("dataset: nosuch@v9\nchecks:\n  - {rule: a, max_failures: 0}\n"))
	if got := decode(resp); resp.StatusCode != 200 || got.ExitCode != 3 || !strings.Contains(strings.Join(got.Reasons, " "), "nosuch") {
		t.Fatalf("POST unknown dataset: %d %+v", resp.StatusCode, got)
	}
	resp, _ = http.Get(srv.URL + "/v1/gates?release=2.5.0")
	if got := decode(resp); got.Verdict != gate.Error {
		t.Fatalf("the error decision was not stored: %+v", got)
	}
	resp, _ = http.Post(srv.URL+"/v1/gates", "application/yaml", strings.NewReader("checks: [{"))
	if got := decode(resp); got.ExitCode != 3 {
		t.Fatalf("POST malformed config: %+v", got)
	}
	req, _ := http.NewRequest("DELETE", srv.URL+"/v1/gates", nil)
	if resp, _ = http.DefaultClient.Do(req); resp.StatusCode != 405 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
}
