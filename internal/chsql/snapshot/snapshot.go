// Package snapshot records the statements a table owner sends to the store
// and compares them with files under the owner's testdata/snapshots, so a
// change to a reader's SQL shows in review as a diff of a .sql file. The
// statements still run on the real engine: the recorder wraps a live
// connection and forwards every call.
//
//	go test ./events -update   # rewrite the snapshots from what the tests sent
package snapshot

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Update rewrites snapshots instead of comparing them (go test -update).
var Update = flag.Bool("update", false, "rewrite testdata/snapshots/*.sql from the statements the tests sent")

// Recorder is a driver.Conn that remembers each statement it forwards.
type Recorder struct {
	driver.Conn
	mu      sync.Mutex
	stmts   []string
	checked map[string]bool // statements CheckTake compared
}

// Record wraps conn.
func Record(conn driver.Conn) *Recorder { return &Recorder{Conn: conn} }

func (r *Recorder) add(q string) {
	r.mu.Lock()
	r.stmts = append(r.stmts, strings.TrimSpace(q))
	r.mu.Unlock()
}

// Take returns the statements recorded since the last Take, once each, in
// the order first sent.
func (r *Recorder) Take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, q := range r.stmts {
		if !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	r.stmts = nil
	return out
}

func (r *Recorder) Query(ctx context.Context, q string, args ...any) (driver.Rows, error) {
	r.add(q)
	return r.Conn.Query(ctx, q, args...)
}

func (r *Recorder) QueryRow(ctx context.Context, q string, args ...any) driver.Row {
	r.add(q)
	return r.Conn.QueryRow(ctx, q, args...)
}

func (r *Recorder) Select(ctx context.Context, dest any, q string, args ...any) error {
	r.add(q)
	return r.Conn.Select(ctx, dest, q, args...)
}

func (r *Recorder) Exec(ctx context.Context, q string, args ...any) error {
	r.add(q)
	return r.Conn.Exec(ctx, q, args...)
}

func (r *Recorder) PrepareBatch(ctx context.Context, q string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	r.add(q)
	return r.Conn.PrepareBatch(ctx, q, opts...)
}

// Check compares stmts with testdata/snapshots/NAME.sql (statements
// separated by a line holding ";"), or rewrites the file with -update.
// It fails when no statement was sent: a snapshot of nothing checks nothing.
func Check(t testing.TB, name string, stmts []string) {
	t.Helper()
	if len(stmts) == 0 {
		t.Fatalf("snapshot %s: no statement was sent to the store", name)
	}
	got := strings.Join(stmts, "\n;\n") + "\n"
	file := filepath.Join("testdata", "snapshots", name+".sql")
	if *Update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("snapshot %s: %v (run go test -update to write it)", name, err)
	}
	if string(want) != got {
		t.Errorf("snapshot %s: the statements sent differ from %s (go test -update rewrites it after review)\n--- want\n%s--- got\n%s", name, file, want, got)
	}
}
