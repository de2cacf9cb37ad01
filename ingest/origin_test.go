package ingest_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/leaktest"
)

// TestOriginFileNamesAreRedacted ingests a file whose name holds a fake
// GitHub token (also URL-encoded in a second origin), with a good line and
// a malformed one, and finds the token in neither ingest_log nor
// agent_events, the summary's errors, the dead-letter file or the debug
// log; the origin is kept with the token replaced.
func TestOriginFileNamesAreRedacted(t *testing.T) {
	s := migrated(t)
	tok := "ghp_0rigin1File2Name3abcdefghijklmnopqrs"
	var dead, logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	data := event("run", 1, "") + "\n{not json\n"
	sum := ingestString(t, s, ingest.Options{DeadLetter: &dead, Log: log}, "/tmp/"+tok+"/events.ndjson", data)
	sum2 := ingestString(t, s, ingest.Options{DeadLetter: &dead, Log: log}, "https://x.test/e?t=%67"+tok[1:], "{bad\n")
	if sum.Accepted != 1 || sum.Rejected != 1 || sum2.Rejected != 1 {
		t.Fatalf("summaries %+v %+v", sum, sum2)
	}
	js, _ := json.Marshal([]any{sum, sum2, sum.Errors[0].Error(), sum2.Errors[0].Error()})
	ilog := leaktest.Table(t, s.Conn, "ingest_log")
	leaktest.Absent(t, []string{tok, tok[4:]}, map[string]string{
		"ingest_log": ilog, "agent_events": leaktest.Stored(t, s.Conn), "the summaries": string(js),
		"the dead-letter file": dead.String(), "the debug log": logs.String()})
	if !strings.Contains(ilog, "/tmp/[REDACTED:github_token]/events.ndjson") {
		t.Fatalf("ingest_log does not keep the redacted origin:\n%s", ilog)
	}
}
