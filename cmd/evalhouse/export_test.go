package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest/parquet"
)

// TestExportRoundTrip: events ingested into store A, exported to Parquet,
// and ingested into a fresh store B leave B with A's rows, column for
// column (ingested_at aside); ingesting the file again adds nothing.
func TestExportRoundTrip(t *testing.T) {
	storeA, _ := storeFlag(t)
	storeB, _ := storeFlag(t)
	files, _ := filepath.Glob(filepath.Join(examples, "events-*.ndjson"))
	want := 0
	for _, f := range files {
		want += countLines(t, f)
	}
	if out, code := run(t, nil, append([]string{storeA, "ingest"}, files...)...); code != 0 {
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}
	file := filepath.Join(t.TempDir(), "events.parquet")
	out, code := run(t, nil, storeA, "export", "events", "-o", file)
	if code != 0 || !strings.Contains(out, "wrote "+strconv.Itoa(want)+" rows to "+file) {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(file + ".tmp"); !os.IsNotExist(err) {
		t.Fatalf("temporary file left behind: %v", err)
	}

	out, code = run(t, nil, storeB, "ingest", file)
	if code != 0 || !strings.Contains(out, "accepted "+strconv.Itoa(want)+", rejected 0, expired 0, duplicates 0") {
		t.Fatalf("ingest parquet: exit %d\n%s", code, out)
	}
	const every = "SELECT * EXCEPT (ingested_at) FROM agent_events ORDER BY tenant, event_id"
	a, codeA := run(t, nil, storeA, "sql", "--format", "tsv", every)
	b, codeB := run(t, nil, storeB, "sql", "--format", "tsv", every)
	if codeA != 0 || codeB != 0 || strings.Count(a, "\n") < want {
		t.Fatalf("sql: exit %d/%d\n%.500s", codeA, codeB, a)
	}
	if a != b {
		la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := range min(len(la), len(lb)) {
			if la[i] != lb[i] {
				t.Fatalf("stores differ at line %d:\nA: %.400s\nB: %.400s", i, la[i], lb[i])
			}
		}
		t.Fatalf("stores differ: %d lines vs %d", len(la), len(lb))
	}

	for _, store := range []string{storeB, storeA} {
		out, code = run(t, nil, store, "ingest", file)
		if code != 0 || !strings.Contains(out, "accepted 0,") || !strings.Contains(out, "duplicates "+strconv.Itoa(want)) {
			t.Fatalf("second ingest: exit %d\n%s", code, out)
		}
		if got := sqlCount(t, store, "SELECT count() FROM agent_events"); got != want {
			t.Fatalf("%d rows after a second ingest, want %d", got, want)
		}
	}
}

func TestExportFilters(t *testing.T) {
	store, _ := storeFlag(t)
	if out, code := run(t, nil, store, "ingest", filepath.Join(examples, "events-2.4.0.ndjson"), filepath.Join(examples, "events-2.3.1.ndjson")); code != 0 {
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	// A half-hour window inside the (restamped) data, so the time filter
	// is checked on rows it keeps and rows it drops, on any date.
	first, err := time.Parse("2006-01-02 15:04:05", strings.TrimSpace(sqlText(t, store, "SELECT toString(toStartOfHour(min(ts))) FROM agent_events")))
	if err != nil {
		t.Fatal(err)
	}
	since, until := first.Add(30*time.Minute), first.Add(time.Hour+500*time.Millisecond)
	window := "ts >= '" + since.Format("2006-01-02 15:04:05") + "' AND ts < '" + until.Format("2006-01-02 15:04:05.000") + "'"
	if n := sqlCount(t, store, "SELECT count() FROM agent_events WHERE "+window); n == 0 || n == sqlCount(t, store, "SELECT count() FROM agent_events") {
		t.Fatalf("the window %s keeps %d rows: want some, not all", window, n)
	}
	for _, c := range []struct {
		args []string
		q    string
	}{
		{[]string{"--release", "2.4.0"}, "release = '2.4.0'"},
		{[]string{"--tenant", "acme", "--environment", "staging"}, "tenant = 'acme' AND environment = 'staging'"},
		{[]string{"--tenant", "nobody"}, "0"},
		{[]string{"--since", since.Format(time.RFC3339), "--until", until.Format(time.RFC3339Nano)}, window},
		{[]string{"--since", "100000d"}, "1"},
		{[]string{"--until", "1h"}, "ts < now64(6) - INTERVAL 1 HOUR"},
	} {
		file := filepath.Join(dir, "f.parquet")
		want := sqlCount(t, store, "SELECT count() FROM agent_events WHERE "+c.q)
		out, code := run(t, nil, append([]string{store, "export", "events", "-o", file}, c.args...)...)
		if code != 0 || !strings.Contains(out, "wrote "+strconv.Itoa(want)+" rows") {
			t.Errorf("export %v: exit %d, want %d rows\n%s", c.args, code, want, out)
		}
		if rows := fileRows(t, file); rows != int64(want) {
			t.Errorf("export %v: file has %d rows, want %d", c.args, rows, want)
		}
	}
}

func TestExportRefusesBadFlags(t *testing.T) {
	store, _ := storeFlag(t)
	file := filepath.Join(t.TempDir(), "f.parquet")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--since", "yesterday", "-o", file}, 2, `--since "yesterday": want an RFC 3339 time`},
		{[]string{"--until", "-5h", "-o", file}, 2, `--until "-5h"`},
		{[]string{"--since", "1h", "--until", "2h", "-o", file}, 2, "is not before --until"},
		{nil, 1, `"output" not set`},
		{[]string{"-o", filepath.Join(file, "no", "such", "dir.parquet")}, 1, "no such file or directory"},
	} {
		out, code := run(t, nil, append([]string{store, "export", "events"}, c.args...)...)
		if code != c.code || !strings.Contains(out, c.msg) {
			t.Errorf("export %v: exit %d, want %d with %q\n%s", c.args, code, c.code, c.msg, out)
		}
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a refused export left %s: %v", file, err)
	}
}

// TestExportedFileWithBadRows: a Parquet file's bad rows are named by row
// number and the rest land; a file that is not Parquet is refused whole.
func TestExportedFileWithBadRows(t *testing.T) {
	store, _ := storeFlag(t)
	dir := t.TempDir()
	ts := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	recs := []parquet.Record{
		{Kind: "run", EventID: "e1", Tenant: "acme", TS: ts, ExpiresAt: time.Unix(0, 0)},
		{Kind: "", EventID: "e2", Tenant: "acme", TS: ts, ExpiresAt: time.Unix(0, 0)},
		{Kind: "tool", EventID: "e3", Tenant: "acme", ExpiresAt: time.Unix(0, 0)},
		{Kind: "eval", EventID: "e4", Tenant: "acme", TS: ts, ExpiresAt: time.Unix(0, 0)},
	}
	for i := range recs {
		recs[i].IngestedAt = ts
	}
	file := filepath.Join(dir, "bad.parquet")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewWriter(f)
	if _, err := w.Write(recs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, code := run(t, nil, store, "ingest", file)
	if code != 1 || !strings.Contains(out, "accepted 2, rejected 2") ||
		!strings.Contains(out, "bad.parquet:2: field \"kind\": missing") || !strings.Contains(out, "bad.parquet:3: field \"ts\": missing") {
		t.Fatalf("exit %d\n%s", code, out)
	}

	notParquet := filepath.Join(dir, "events.parquet")
	os.WriteFile(notParquet, []byte(`{"kind":"run"}`+"\n"), 0o600)
	out, code = run(t, nil, store, "ingest", notParquet)
	if code != 1 || !strings.Contains(out, "events.parquet: parquet: corrupt or not a Parquet file") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func fileRows(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	rd, err := parquet.NewReader(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return rd.NumRows()
}
