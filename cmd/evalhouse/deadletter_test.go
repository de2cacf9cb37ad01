package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A dead-letter file that cannot be written (a full disk: /dev/full answers
// ENOSPC) stops the ingest with an error naming the line, instead of losing
// the rejected line silently.
func TestDeadLetterFileFullStopsIngest(t *testing.T) {
	store, _ := storeFlag(t)
	if out, code := run(t, nil, store, "migrate"); code != 0 {
		t.Fatal(out)
	}
	out, code := run(t, nil, store, "ingest", "--dead-letter", "/dev/full", filepath.Join(examples, "malformed.ndjson"))
	if code == 0 || code == 1 && !strings.Contains(out, "dead-letter") || !strings.Contains(out, "malformed.ndjson:") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "no space left on device") {
		t.Fatalf("the disk error is not named:\n%s", out)
	}
}
