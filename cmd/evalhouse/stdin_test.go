package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `… | evalhouse ingest -` on an embedded store, as a shell runs it: the
// process's real standard input is a pipe. The engine must not take that
// pipe as data for its own INSERTs (it used to: every insert failed, on a
// fresh store the migration too); the lines are read once, by ingest.
func TestIngestFromAPipe(t *testing.T) {
	events, err := os.ReadFile(filepath.Join(examples, "events-2.3.1.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "EVALHOUSE_AS_MAIN=1", "EVALHOUSE_ARGS=--store=embedded://"+dir+" ingest --json -")
	cmd.Stdin = bytes.NewReader(events) // exec gives the child a pipe
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"accepted": 259`) || !strings.Contains(string(out), `"rejected": 0`) {
		t.Fatalf("ingest - from a pipe: %v\n%s", err, out)
	}
	if n := sqlCount(t, "--store=embedded://"+dir, "SELECT count() FROM agent_events"); n != 259 {
		t.Errorf("%d events stored, want 259", n)
	}
}
