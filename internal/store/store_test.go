package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/internal/storetest"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind store.Kind
		path string
		db   string
		err  string
	}{
		{in: "", kind: store.Embedded, path: ".evalhouse/data"},
		{in: "embedded://.evalhouse/data", kind: store.Embedded, path: ".evalhouse/data"},
		{in: "embedded:///var/lib/evalhouse?database=prod", kind: store.Embedded, path: "/var/lib/evalhouse", db: "prod"},
		{in: "clickhouse://u:p@ch:9000/evalhouse", kind: store.Native, db: "evalhouse"},
		{in: "http://127.0.0.1:8123/", kind: store.HTTP},
		{in: "https://ch.example:8443/ev", kind: store.HTTP, db: "ev"},
		{in: "embedded://", err: "names no data directory"},
		{in: "embedded://x?foo=1", err: `unknown option "foo"`},
		{in: "postgres://u:secret@h/db", err: `unknown scheme "postgres"`},
		{in: "just-a-path", err: "is not a store address"},
	} {
		d, err := store.ParseDSN(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseDSN(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseDSN(%q) leaks the password: %v", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDSN(%q): %v", tc.in, err)
			continue
		}
		if d.Kind != tc.kind || d.Path != tc.path || d.Database != tc.db {
			t.Errorf("ParseDSN(%q) = %+v", tc.in, d)
		}
	}
}

func TestDSNStringMasksPassword(t *testing.T) {
	d, _ := store.ParseDSN("clickhouse://u:hunter2@ch:9000/db")
	if strings.Contains(d.String(), "hunter2") {
		t.Fatalf("String() = %q leaks the password", d.String())
	}
}

// The embedded engine must round-trip the column types our schema uses
// through clickhouse-go's batch and typed scans.
func TestEmbeddedRoundTrip(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	err := s.Conn.Exec(ctx, `CREATE TABLE rt (
		id String, n UInt64, f Float64, ts DateTime64(3, 'UTC'),
		k LowCardinality(String), tags Array(String), attrs Map(String, String), ok Bool
	) ENGINE = MergeTree ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := s.Conn.PrepareBatch(ctx, "INSERT INTO rt")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 20, 9, 0, 0, 123e6, time.UTC)
	const rows = 20000
	for i := 0; i < rows; i++ {
		if err := batch.Append("id"+string(rune('a'+i%26)), uint64(i), float64(i)/4, base.Add(time.Duration(i)*time.Second),
			[]string{"run", "tool"}[i%2], []string{"x", "y"}, map[string]string{"k": "v"}, i%3 == 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	var (
		count uint64
		sum   float64
		maxTS time.Time
		k     string
	)
	row := s.Conn.QueryRow(ctx, "SELECT count(), sum(f), max(ts), any(k) FROM rt WHERE k = 'tool'")
	if err := row.Scan(&count, &sum, &maxTS, &k); err != nil {
		t.Fatal(err)
	}
	if count != rows/2 || k != "tool" {
		t.Fatalf("count=%d k=%q", count, k)
	}
	if want := base.Add((rows - 1) * time.Second); !maxTS.Equal(want) {
		t.Fatalf("max(ts) = %v, want %v", maxTS, want)
	}
	var tags []string
	var attrs map[string]string
	if err := s.Conn.QueryRow(ctx, "SELECT tags, attrs FROM rt LIMIT 1").Scan(&tags, &attrs); err != nil {
		t.Fatal(err)
	}
	if len(tags) != 2 || attrs["k"] != "v" {
		t.Fatalf("tags=%v attrs=%v", tags, attrs)
	}
}

func TestEmbeddedErrorsSurface(t *testing.T) {
	s := storetest.New(t)
	err := s.Conn.Exec(context.Background(), "SELECT * FROM missing_table")
	if err == nil || !strings.Contains(err.Error(), "UNKNOWN_TABLE") {
		t.Fatalf("want UNKNOWN_TABLE, got %v", err)
	}
}
