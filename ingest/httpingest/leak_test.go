package httpingest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/ingest/httpingest"
)

// A repeated key that is a GitHub token is named by the line's rejection
// reason: the 400 answer of POST /v1/events shows it redacted, never as sent.
func TestRepeatedSecretKeyNotAnswered(t *testing.T) {
	const tok = "ghp_H1t2t3p4R5e6p7e8a9t0K1e2y3A4b5C6d7E8"
	srv, count := server(t, httpingest.Config{})
	body := `{"kind":"tool","` + tok + `":1,"` + tok + `":2}` + "\n"
	resp, err := http.Post(srv.URL+"/v1/events", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || strings.Contains(string(b), tok) || strings.Contains(string(b), tok[4:]) ||
		!strings.Contains(string(b), `field \"[REDACTED:github_token]\": appears more than once`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if n := count("SELECT count() FROM agent_events"); n != 0 {
		t.Fatalf("%d rows stored", n)
	}
}
