package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// The committed files are what the generator writes.
func TestFilesAreGenerated(t *testing.T) {
	files, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is out of date: go run ./examples/rollout/gen", name)
		}
	}
}

// The tests restamp the whole examples tree by one offset that puts its
// newest event in the hour before now: the rollout's traffic must stay
// older than the support agent's, or it would move the agent's events
// (and its tests' windows) back by days.
func TestOlderThanTheSupportAgent(t *testing.T) {
	files, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	newest := func(b []byte) time.Time {
		var last time.Time
		for _, m := range tsRE.FindAllSubmatch(b, -1) {
			if ts, err := time.Parse(time.RFC3339Nano, string(m[1])); err == nil && ts.After(last) {
				last = ts
			}
		}
		return last
	}
	agent, err := os.ReadFile(filepath.Join("..", "..", "support-agent", "events-2.4.1.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	limit := newest(agent)
	for name, b := range files {
		if n := newest(b); n.IsZero() || !n.Before(limit) {
			t.Errorf("%s: newest event %v, not before the support agent's %v (move baseTime back)", name, n, limit)
		}
	}
}

var tsRE = regexp.MustCompile(`"ts":"([^"]+)"`)
