package parquet_test

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/parquet"
	"github.com/evalhouse/evalhouse/ingest/redact"
)

const everyRow = "SELECT * EXCEPT (ingested_at) FROM agent_events ORDER BY tenant, event_id"

// TestRoundTripIsLossless: the examples ingested into A, exported, and read
// into a fresh B give B exactly A's rows, every column but ingested_at.
// Reading the file again, into B or into A, adds nothing.
func TestRoundTripIsLossless(t *testing.T) {
	a, b := migrated(t), migrated(t)
	n := ingestExamples(t, a)
	// Pages smaller than the data and a pipeline batch that is not a
	// multiple of the read batch exercise every boundary.
	path, written := export(t, a, parquet.Filter{}, parquet.ExportOptions{PageRows: 97})
	if written != int64(n) {
		t.Fatalf("exported %d rows, ingested %d", written, n)
	}
	sum := readInto(t, b, path, ingest.Options{BatchSize: 250})
	if sum.Accepted != n || sum.Rejected != 0 || sum.Duplicates != 0 {
		t.Fatalf("import: %+v", sum)
	}
	if sum.Redactions.Total() != 0 {
		t.Errorf("stored rows redacted again: %v", sum.Redactions)
	}
	want, got := dump(t, a, everyRow), dump(t, b, everyRow)
	if diff := sameRows(want, got); diff != "" {
		t.Fatalf("store B differs from store A: %s", diff)
	}
	if len(want) != n || len(want[0]) != len(parquet.Columns)-1 {
		t.Fatalf("compared %d rows of %d columns", len(want), len(want[0]))
	}
	// The example data carries redactions, violations and both retention
	// classes, so the bookkeeping columns were really compared.
	for _, q := range []string{
		"SELECT count() FROM agent_events WHERE redactions > 0",
		"SELECT count() FROM agent_events WHERE notEmpty(contract_violations)",
		"SELECT count() FROM agent_events WHERE storage_retention = 'audit'",
		"SELECT count() FROM agent_events WHERE cost_source LIKE 'price_table@%'",
	} {
		if count(t, b, q) == 0 {
			t.Errorf("no row for %s", q)
		}
	}

	again := readInto(t, b, path, ingest.Options{})
	if again.Accepted != 0 || again.Duplicates != n {
		t.Fatalf("second import into B: %+v", again)
	}
	back := readInto(t, a, path, ingest.Options{})
	if back.Accepted != 0 || back.Duplicates != n {
		t.Fatalf("import into A: %+v", back)
	}
	for _, s := range []struct {
		name string
		n    uint64
	}{{"A", count(t, a, "SELECT count() FROM agent_events")}, {"B", count(t, b, "SELECT count() FROM agent_events")}} {
		if s.n != uint64(n) {
			t.Errorf("store %s holds %d rows, want %d", s.name, s.n, n)
		}
	}
	// ingested_at is the time of the import, as for any ingest.
	if late := count(t, b, "SELECT count() FROM agent_events WHERE ingested_at < now64(3) - INTERVAL 1 HOUR"); late != 0 {
		t.Errorf("%d rows kept an old ingested_at", late)
	}
}

func TestBadRowsAreRejectedByNumber(t *testing.T) {
	s := migrated(t)
	at := time.Now()
	var recs []parquet.Record
	for i := range 6 {
		recs = append(recs, parquet.FromRow(ptr(fullRow(i)), at))
	}
	recs[1].Kind = ""
	recs[2].TS = time.Unix(0, 0)
	recs[3].Kind = "telepathy"
	recs[4].StorageRetention = "forever"
	recs[5].EventID = ""
	sum := readInto(t, s, writeFile(t, writeRecords(t, recs)), ingest.Options{})
	if sum.Accepted != 1 || sum.Rejected != 5 {
		t.Fatalf("summary: %+v", sum)
	}
	for i, want := range []string{`"kind": missing`, `"ts": missing`, `"kind": not one of`, `"storage_retention"`, `"event_id": missing`} {
		e := sum.Errors[i]
		if e.Line != i+2 || !strings.HasSuffix(e.Origin, "in.parquet") {
			t.Errorf("error %d: %+v", i, e)
		}
		mustContain(t, e.Reason, want)
	}
	if n := count(t, s, "SELECT count() FROM agent_events WHERE event_id = 'ev-0'"); n != 1 {
		t.Fatalf("the good row did not land")
	}
}

func TestReadFillsOnlyWhatIsEmpty(t *testing.T) {
	s := migrated(t)
	kept, bare := fullRow(1), fullRow(2)
	bare.Kind = "policy"
	bare.StorageRetention, bare.RetentionDays, bare.Source, bare.IngestID = "", 0, "", ""
	recs := []parquet.Record{parquet.FromRow(&kept, time.Now()), parquet.FromRow(&bare, time.Now())}
	sum := readInto(t, s, writeFile(t, writeRecords(t, recs)), ingest.Options{Source: "parquet", Retention: "short"})
	if sum.Accepted != 2 {
		t.Fatalf("summary: %+v", sum)
	}
	type got struct {
		ret, src, id string
		days         uint16
	}
	read := func(id string) (g got) {
		err := s.Conn.QueryRow(context.Background(), "SELECT storage_retention, source, ingest_id, retention_days FROM agent_events WHERE event_id = ?", id).
			Scan(&g.ret, &g.src, &g.id, &g.days)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	if g := read("ev-1"); g != (got{"long", "otlp", kept.IngestID, 400}) {
		t.Errorf("kept row: %+v", g)
	}
	if g := read("ev-2"); g != (got{"audit", "parquet", sum.IngestID, 2555}) {
		t.Errorf("bare row: %+v", g)
	}
	if sum.Violations["tool.stop_reason"] != 1 || sum.Violations["policy.status:invalid"] != 1 || sum.ViolatingEvents != 2 {
		t.Errorf("violations: %+v", sum.Violations)
	}
	// Strict refuses rows that carry violations.
	strict := readInto(t, migrated(t), writeFile(t, writeRecords(t, recs)), ingest.Options{Strict: true})
	if strict.Rejected != 2 || !strings.Contains(strict.Errors[0].Reason, "trace contract: 2 violation(s)") {
		t.Errorf("strict: %+v", strict)
	}
}

func TestSecretsInAFileAreRedacted(t *testing.T) {
	s := migrated(t)
	row := fullRow(1)
	row.Input = `{"note":"mail maria.keller@example.com"}`
	row.Task = "key AKIAIOSFODNN7EXAMPLE"
	// An identifier holding a secret rejects its row (identifiers are never rewritten).
	bad := fullRow(2)
	bad.SourceIDs = []string{"kb-1", "AKIAIOSFODNN7EXAMPLE"}
	data := writeRecords(t, []parquet.Record{parquet.FromRow(&row, time.Now()), parquet.FromRow(&bad, time.Now())})
	sum := readInto(t, s, writeFile(t, data), ingest.Options{})
	if sum.Redactions[redact.TypeEmail] != 1 || sum.Redactions.Total() != 2 {
		t.Fatalf("redactions: %v", sum.Redactions)
	}
	if sum.Accepted != 1 || sum.Rejected != 1 || !strings.Contains(sum.Errors[0].Reason, `"source_ids[1]": identifier holds a secret (aws_key)`) {
		t.Fatalf("summary %+v", sum)
	}
	var input, task string
	var total uint32
	var counts map[string]uint32
	err := s.Conn.QueryRow(context.Background(), "SELECT input, task, redactions, redaction_counts FROM agent_events").
		Scan(&input, &task, &total, &counts)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(input, "maria") || strings.Contains(task, "AKIA") {
		t.Fatalf("secret stored: %q %q", input, task)
	}
	// The row's own counts (email 2, aws_key 1) grow by what was found now.
	if total != 5 || counts[redact.TypeEmail] != 3 {
		t.Fatalf("redactions %d %v", total, counts)
	}
}

func TestExportFilters(t *testing.T) {
	s := migrated(t)
	p := newPipeline(t, s, ingest.Options{})
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		r := fullRow(i)
		r.Tenant = []string{"acme", "globex"}[i%2]
		r.Environment = []string{"staging", "prod", "dev"}[i%3]
		r.Release = []string{"2.3.1", "2.4.0"}[(i/2)%2]
		r.TS = base.Add(time.Duration(i) * time.Hour)
		if err := p.Row(context.Background(), "gen", i+1, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    parquet.Filter
		want string
	}{
		{parquet.Filter{}, "1"},
		{parquet.Filter{Tenant: "acme"}, "tenant = 'acme'"},
		{parquet.Filter{Tenant: "globex", Environment: "prod", Release: "2.4.0"}, "tenant = 'globex' AND environment = 'prod' AND release = '2.4.0'"},
		{parquet.Filter{Since: base.Add(10 * time.Hour), Until: base.Add(20*time.Hour + time.Microsecond)}, "ts >= '2026-11-20 10:00:00' AND ts <= '2026-11-20 20:00:00'"},
		{parquet.Filter{Since: base.Add(59 * time.Hour)}, "ts >= '2026-11-20 23:00:00' + INTERVAL 36 HOUR"},
	} {
		want := count(t, s, "SELECT count() FROM agent_events WHERE "+c.want)
		if n, err := parquet.Count(context.Background(), s.Conn, c.f); err != nil || n != want {
			t.Errorf("Count(%+v) = %d, %v; want %d", c.f, n, err, want)
		}
		path, n := export(t, s, c.f, parquet.ExportOptions{PageRows: 7})
		if n != int64(want) {
			t.Errorf("Export(%+v) wrote %d rows, want %d", c.f, n, want)
		}
		recs := readAll(t, path)
		for i := 1; i < len(recs); i++ {
			a, b := recs[i-1], recs[i]
			if key(a) >= key(b) {
				t.Fatalf("Export(%+v): row %d out of order", c.f, i)
			}
		}
	}
}

func key(r parquet.Record) string {
	return r.Tenant + "\x00" + r.Environment + "\x00" + r.TS.Format(time.RFC3339Nano) + "\x00" + r.EventID
}

func readAll(tb testing.TB, path string) []parquet.Record {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	rd, err := parquet.NewReader(f, st.Size())
	if err != nil {
		tb.Fatal(err)
	}
	var all []parquet.Record
	buf := make([]parquet.Record, 10)
	for {
		n, err := rd.Read(buf)
		all = append(all, buf[:n]...)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				tb.Fatal(err)
			}
			return all
		}
	}
}

// TestRowsOutliveTheirReadBatch: rows held by the pipeline across several
// reads (a batch far larger than a read) land as written.
func TestRowsOutliveTheirReadBatch(t *testing.T) {
	s := migrated(t)
	const n = 3000
	recs := make([]parquet.Record, n)
	for i := range recs {
		r := fullRow(i)
		r.Input = strings.Repeat(r.EventID, i%7+1)
		recs[i] = parquet.FromRow(&r, time.Now())
	}
	sum := readInto(t, s, writeFile(t, writeRecords(t, recs)), ingest.Options{BatchSize: 10 * n})
	if sum.Accepted != n {
		t.Fatalf("summary: %+v", sum)
	}
	path, _ := export(t, s, parquet.Filter{}, parquet.ExportOptions{})
	got := readAll(t, path)
	if len(got) != n {
		t.Fatalf("%d rows back, want %d", len(got), n)
	}
	// fullRow's ts grow with i, so export order is write order.
	for i := range got {
		a, b := got[i].Row(), recs[i].Row()
		if a.EventID != b.EventID || a.Input != b.Input || a.TraceID != b.TraceID || a.SourceIDs[1] != b.SourceIDs[1] {
			t.Fatalf("row %d: got %s/%q, want %s/%q", i, a.EventID, a.Input, b.EventID, b.Input)
		}
	}
}

// A restored row already past its own retention is expired, not accepted,
// and ingest_log says so.
func TestExpiredRowsAreNotAccepted(t *testing.T) {
	s := migrated(t)
	fresh, old := fullRow(1), fullRow(2)
	old.TS = time.Now().AddDate(0, 0, -100)
	old.StorageRetention, old.RetentionDays = "standard", 90
	sum := readInto(t, s, writeFile(t, writeRecords(t, []parquet.Record{parquet.FromRow(&fresh, time.Now()), parquet.FromRow(&old, time.Now())})), ingest.Options{})
	if sum.Accepted != 1 || sum.Expired != 1 || sum.Rejected != 0 || !strings.Contains(sum.Errors[0].Reason, "past the 90-day retention") {
		t.Fatalf("summary %+v", sum)
	}
	var exp, acc uint64
	if err := s.Conn.QueryRow(context.Background(), "SELECT accepted, expired FROM ingest_log WHERE ingest_id = ?", sum.IngestID).Scan(&acc, &exp); err != nil || acc != 1 || exp != 1 {
		t.Fatalf("ingest_log: accepted %d expired %d (%v)", acc, exp, err)
	}
}
