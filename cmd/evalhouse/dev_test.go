package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A user generates a file and its dataset, ingests the file with --strict
// and loads the dataset: every event lands, nothing is redacted, and the
// same seed and hour give the same file again.
func TestDevGenerateIngestsStrictly(t *testing.T) {
	dir := t.TempDir()
	// Both files end at the same hour, even when the clock crosses one.
	now := time.Now().UTC().Format(time.RFC3339)
	file, cases := filepath.Join(dir, "events.ndjson"), filepath.Join(dir, "cases.jsonl")
	out, code := run(t, nil, "dev", "generate", "--events", "3000", "--seed", "5", "--since", "7d", "--now", now, "--out", file, "--dataset-out", cases)
	if code != 0 || !strings.Contains(out, "generated 3000 events") || !strings.Contains(out, "approval ") {
		t.Fatalf("generate: exit %d\n%s", code, out)
	}
	if n := countLines(t, file); n != 3000 {
		t.Fatalf("%d lines, want 3000", n)
	}
	store, _ := storeFlag(t)
	out, code = run(t, nil, store, "ingest", "--strict", file)
	if code != 0 || !strings.Contains(out, "accepted 3000, rejected 0, expired 0, duplicates 0, redactions 0, contract violations 0") {
		t.Fatalf("ingest --strict: exit %d\n%s", code, out)
	}
	out, code = run(t, nil, store, "dataset", "create", "support-bot", "--from", cases)
	if code != 0 {
		t.Fatalf("dataset create: exit %d\n%s", code, out)
	}
	if n := sqlCount(t, store, "SELECT countDistinct(dataset) FROM agent_events WHERE dataset != ''"); n < 2 {
		t.Errorf("%d dataset versions run, want at least 2", n)
	}

	again := filepath.Join(dir, "again.ndjson")
	if _, code := run(t, nil, "dev", "generate", "--events", "3000", "--seed", "5", "--since", "7d", "--now", now, "--out", again); code != 0 {
		t.Fatal("second generate failed")
	}
	a, _ := os.ReadFile(file)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("the same seed within the same hour gave another file")
	}
}

// Bad flags are usage errors naming the flag.
func TestDevGenerateRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--events", "0"}, "events: want > 0"},
		{[]string{"--events", "10", "--since", "soon"}, `--since "soon"`},
		{[]string{"--events", "10", "--now", "tomorrow"}, `--now "tomorrow"`},
		{[]string{"--events", "10", "--tenants", "99"}, "tenants: want 1 to 16"},
	} {
		out, code := run(t, nil, append([]string{"dev", "generate", "--out", os.DevNull}, tc.args...)...)
		if code != exitUsage || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q\n%s", tc.args, code, exitUsage, tc.want, out)
		}
	}
}
