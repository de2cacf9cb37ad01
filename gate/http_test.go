package gate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/gate"
)

// CI systems that query instead of running the binary: GET the last
// decision, POST a config to evaluate one.
func TestGatesOverHTTP(t *testing.T) {
	w := newWorld(t, 4)
	srv := httptest.NewServer(gate.Handler(w.s.Conn, gate.RulesDirs(t.TempDir())))
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
	if got := decode(resp); got.Verdict != gate.VerdictError {
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

// GET /v1/gates?dataset=NAME@vX: a version that does not parse is 400; it
// used to answer with another version's decision.
func TestGatesHTTPDatasetVersion(t *testing.T) {
	w := newWorld(t, 4)
	ctx := context.Background()
	ds := datasets.New(w.s.Conn)
	for _, n := range []int{1, 2} {
		cs := []datasets.Case{{CaseID: fmt.Sprint("c", n), Input: "q", Expected: map[string]any{"answer": "a"}}}
		var err error
		if n == 1 {
			_, err = ds.Create(ctx, "support-bot", cs, datasets.Provenance{By: "t"})
		} else {
			_, _, err = ds.Add(ctx, "support-bot", cs, datasets.Provenance{By: "t"}, false)
		}
		if err != nil {
			t.Fatal(err)
		}
		d := evaluate(t, w, cfg(t, baseCfg), gate.Options{Commit: fmt.Sprint("on-v", n)})
		d.Dataset, d.DatasetVersion = fmt.Sprintf("support-bot@v%d", n), uint32(n)
		if err := gate.Record(ctx, w.s.Conn, d); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gate.Handler(w.s.Conn))
	defer srv.Close()
	get := func(dataset string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/v1/gates?release=2.4.0&dataset=" + url.QueryEscape(dataset))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var d gate.Decision
		json.NewDecoder(resp.Body).Decode(&d)
		return resp.StatusCode, d.Commit
	}
	for ref, want := range map[string]string{"support-bot@v1": "on-v1", "support-bot@v2": "on-v2", "support-bot": "on-v2", "support-bot@latest": "on-v2"} {
		if code, commit := get(ref); code != 200 || commit != want {
			t.Errorf("%s: %d %q, want 200 %q", ref, code, commit, want)
		}
	}
	for _, ref := range []string{"support-bot@vX", "support-bot@v1x", "support-bot@v0", "support-bot@2", "support-bot@", "support-bot@v-1", "Support-Bot@v1", "support-bot@v99999999999"} {
		if code, commit := get(ref); code != 400 {
			t.Errorf("%s: %d %q, want 400", ref, code, commit)
		}
	}
	if code, _ := get("support-bot@v3"); code != 404 {
		t.Errorf("support-bot@v3: %d, want 404", code)
	}
}
