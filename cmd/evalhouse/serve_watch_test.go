package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startServe runs serve in the background with args after the store and
// --listen flags, and returns its ingest API's base URL; serve stops at
// the test's end.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	store, _ := storeFlag(t)
	lines, done, cancel := background(t, append([]string{store, "serve", "--listen", "127.0.0.1:0"}, args...)...)
	api := lines.waitFor(t, regexp.MustCompile(`ingest API on (http://\S+)`))
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return api
}

// scrape GETs /metrics and returns each sample line's value by its series
// ("name{label="v",…}", labels in the exposition's order: sorted by name).
func scrape(t *testing.T, api string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(api + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// A running serve, scraped after events and a gate config are posted,
// counts exactly what its answers said; /readyz says the schema is at the
// binary's version.
func TestServeMetrics(t *testing.T) {
	api := startServe(t, "--retention", "short")
	if code, _, body := get(t, api+"/readyz"); code != 200 || !strings.HasPrefix(body, "ready: schema version ") {
		t.Fatalf("/readyz: %d %q", code, body)
	}
	if got := scrape(t, api); got[`evalhouse_ingest_events_total{outcome="accepted",source="http"}`] != 0 ||
		got[`evalhouse_http_in_flight_bytes_limit`] != 32<<20 {
		t.Fatalf("fresh serve: %v", got)
	}

	file := filepath.Join(examples, "events-2.3.1.ndjson")
	want := countLines(t, file)
	body, _ := os.ReadFile(file)
	if r := post(t, api+"/v1/events", body); r.status != 200 || r.Accepted != want {
		t.Fatalf("POST: %+v", r)
	}
	if r := post(t, api+"/v1/events", body); r.status != 200 || r.Accepted != 0 {
		t.Fatalf("POST again: %+v", r)
	}
	run := func(id string, ago time.Duration) string { // a run event holding an AWS key
		return fmt.Sprintf(`{"kind":"run","event_id":%q,"trace_id":"t-%[1]s","span_id":"s-%[1]s","run_id":"r-%[1]s","tenant":"acme","environment":"prod","release":"1.0","ts":%q,"duration_ms":3,"status":"ok","actor":"bot","task":"t","input":"key AKIAIOSFODNN7EXAMPLE","output":"o","stop_reason":"completed"}`,
			id, time.Now().Add(-ago).UTC().Format(time.RFC3339))
	}
	mixed := "{not json\n" + run("old", 30*24*time.Hour) + "\n" + run("fresh", time.Minute) + "\n"
	if r := post(t, api+"/v1/events", []byte(mixed)); r.status != 200 || r.Accepted != 1 || r.Rejected != 1 {
		t.Fatalf("POST mixed: %+v", r)
	}
	resp, err := http.Post(api+"/v1/gates?release=9.9", "application/yaml", strings.NewReader("checks: [{"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	got := scrape(t, api)
	for series, v := range map[string]float64{
		`evalhouse_ingest_events_total{outcome="accepted",source="http"}`:  float64(want + 1),
		`evalhouse_ingest_events_total{outcome="duplicate",source="http"}`: float64(want),
		`evalhouse_ingest_events_total{outcome="rejected",source="http"}`:  1,
		`evalhouse_ingest_events_total{outcome="expired",source="http"}`:   1,
		`evalhouse_ingest_events_total{outcome="accepted",source="otlp"}`:  0,
		`evalhouse_ingest_redactions_total{type="aws_key"}`:                1, // the expired event is dropped before redaction
		`evalhouse_store_inserted_rows_total`:                              float64(want + 1),
		`evalhouse_store_insert_duration_seconds_count{result="ok"}`:       2,
		`evalhouse_gate_decisions_total{verdict="error"}`:                  1,
		`evalhouse_gate_decisions_total{verdict="pass"}`:                   0,
		`evalhouse_http_requests_total{code="200",handler="/v1/events"}`:   3,
		`evalhouse_http_requests_total{code="200",handler="/readyz"}`:      1,
		`evalhouse_http_in_flight_requests`:                                0,
		`evalhouse_http_in_flight_bytes`:                                   0,
		`evalhouse_http_rate_limited_total`:                                0,
	} {
		if got[series] != v {
			t.Errorf("%s = %v, want %v", series, got[series], v)
		}
	}
	if got[`evalhouse_store_query_duration_seconds_count{op="query_row",result="ok"}`] == 0 {
		t.Error("no store query timed")
	}
}

// A key (here: an address without one) over --rate-limit gets 429 with
// Retry-After; probes are not limited.
func TestServeRateLimit(t *testing.T) {
	api := startServe(t, "--rate-limit", "0.5", "--rate-burst", "2")
	for i := range 2 {
		if code, _, _ := get(t, api+"/v1/gates?release=x"); code != 404 {
			t.Fatalf("request %d within the burst: %d", i, code)
		}
	}
	code, h, body := get(t, api+"/v1/gates?release=x")
	if code != 429 || h.Get("Retry-After") != "2" || !strings.Contains(body, "rate limit") {
		t.Fatalf("over the rate: %d, Retry-After %q, %q", code, h.Get("Retry-After"), body)
	}
	for range 5 {
		if code, _, _ := get(t, api+"/healthz"); code != 200 {
			t.Fatalf("/healthz limited: %d", code)
		}
	}
	if got := scrape(t, api); got[`evalhouse_http_rate_limited_total`] != 1 || got[`evalhouse_http_requests_total{code="429",handler="/v1/gates"}`] != 1 {
		t.Fatalf("metrics: rate limited %v", got[`evalhouse_http_rate_limited_total`])
	}
}
