package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// --query-timeout bounds a statement on the ClickHouse interface: a query
// that would run for minutes is cancelled with TIMEOUT_EXCEEDED, and serve
// answers the next one.
func TestServeQueryTimeout(t *testing.T) {
	store, _ := storeFlag(t)
	key := createKey(t, store, "--role", "read", "--name", "analyst")
	lines, done, cancel := background(t, store, "serve", "--listen", "127.0.0.1:0", "--clickhouse-listen", "127.0.0.1:0", "--query-timeout", "1s")
	ch := lines.waitFor(t, regexp.MustCompile(`ClickHouse HTTP interface .* on (http://\S+)`))
	start := time.Now()
	ch = strings.Replace(ch, "http://", "http://analyst:"+key+"@", 1) // the key as basic auth's password
	resp, err := http.Post(ch+"/", "text/plain", strings.NewReader("SELECT count() FROM numbers(100000000000) WHERE number % 7 = 3"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if took := time.Since(start); resp.StatusCode == 200 || !strings.Contains(string(body), "TIMEOUT_EXCEEDED") || took > 15*time.Second {
		t.Fatalf("a long query: %d %q after %v, want TIMEOUT_EXCEEDED within seconds", resp.StatusCode, body, took)
	}
	resp, err = http.Post(ch+"/", "text/plain", strings.NewReader("SELECT 1"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "1" {
		t.Fatalf("after the timeout: %d %q", resp.StatusCode, body)
	}
	// The engine is the process's: the next test opens its own only once
	// serve has closed this one.
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
