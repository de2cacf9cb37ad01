package ingest_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
)

// at renders event i of kind with its ts replaced by ts.
func at(kind string, i int, ts time.Time) string {
	e := event(kind, i, "")
	j := strings.Index(e, `"ts":"`) + len(`"ts":"`)
	k := j + strings.IndexByte(e[j:], '"')
	return e[:j] + ts.UTC().Format(time.RFC3339Nano) + e[k:]
}

// An event already past its retention is not stored and not accepted: it
// is counted as expired and named; ingest_log says the same.
func TestExpiredEventsAreCountedNotAccepted(t *testing.T) {
	s := migrated(t)
	old := time.Now().Add(-30 * 24 * time.Hour)
	lines := at("tool", 1, old) + "\n" + at("model", 2, old) + "\n" + at("policy", 3, old) + "\n" + event("run", 4, "") + "\n"
	sum := ingestString(t, s, ingest.Options{Retention: "short"}, "old.ndjson", lines)
	// tool and model are 30 days old, past 7 days; policy is audit (7 years); run is a day old.
	if sum.Accepted != 2 || sum.Expired != 2 || sum.Rejected != 0 || len(sum.Errors) != 2 {
		t.Fatalf("summary %+v", sum)
	}
	if e := sum.Errors[0]; e.Origin != "old.ndjson" || e.Line != 1 || !strings.Contains(e.Reason, `past the 7-day retention of class "short"`) {
		t.Fatalf("error %+v", e)
	}
	if n := count(t, s, "SELECT count() FROM agent_events FINAL"); n != 2 {
		t.Fatalf("stored %d, accepted 2", n)
	}
	if n := count(t, s, "SELECT count() FROM run_summaries"); n != 1 {
		t.Fatalf("run_summaries holds %d runs", n)
	}
	var acc, rej, exp uint64
	if err := s.Conn.QueryRow(context.Background(), "SELECT accepted, rejected, expired FROM ingest_log WHERE ingest_id = ?", sum.IngestID).Scan(&acc, &rej, &exp); err != nil {
		t.Fatal(err)
	}
	if acc != 2 || rej != 0 || exp != 2 {
		t.Fatalf("ingest_log says accepted %d rejected %d expired %d", acc, rej, exp)
	}
}

// Timestamps the store cannot keep are rejected with the range named; the
// duplicate check holds at both ends of the range (no 32-bit DateTime).
func TestTimestampRangeAndDedupAtItsEnds(t *testing.T) {
	s := migrated(t)
	sum := ingestString(t, s, ingest.Options{}, "r.ndjson",
		strings.Replace(event("tool", 1, ""), `"ts":"`, `"ts":"9999-01-01T00:00:00Z","x":"`, 1)+"\n"+at("tool", 2, time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC))+"\n")
	if sum.Rejected != 2 || sum.Accepted != 0 {
		t.Fatalf("summary %+v", sum)
	}
	for _, e := range sum.Errors {
		if !strings.Contains(e.Reason, `field "ts"`) {
			t.Fatalf("reason %q", e.Reason)
		}
	}
	if !strings.Contains(sum.Errors[1].Reason, "outside what the store keeps (1900-01-01 to 2098-12-31)") {
		t.Fatalf("reason %q", sum.Errors[1].Reason)
	}
	// Both ends: 1950 (kept as audit, judged by a clock of 1955) and 2098.
	early := time.Date(1950, 3, 1, 12, 0, 0, 123000, time.UTC)
	late := time.Date(2098, 12, 30, 23, 59, 59, 999999000, time.UTC)
	opts := ingest.Options{Retention: "audit", Now: func() time.Time { return early.AddDate(5, 0, 0) }}
	data := at("tool", 3, early) + "\n" + at("tool", 4, late) + "\n"
	for round := 0; round < 2; round++ {
		sum = ingestString(t, s, opts, "ends.ndjson", data)
		want := ingest.Summary{Accepted: 2}
		if round == 1 {
			want = ingest.Summary{Duplicates: 2}
		}
		if sum.Accepted != want.Accepted || sum.Duplicates != want.Duplicates || sum.Rejected+sum.Expired != 0 {
			t.Fatalf("round %d: %+v", round, sum)
		}
	}
	if n := count(t, s, "SELECT count() FROM agent_events WHERE toYear(ts) IN (1950, 2098)"); n != 2 {
		t.Fatalf("stored %d at the ends of the range, want 2", n)
	}
}

// cancelAfter cancels an ingest's context once n bytes have been read and
// the first batch is in the store: a killed ingest (SIGINT) partway
// through a file, with batches written and in flight.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
	stored func() bool
}

func (c *cancelAfter) Read(b []byte) (int, error) {
	if c.n <= 0 {
		for deadline := time.Now().Add(30 * time.Second); !c.stored() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		c.cancel()
		return 0, context.Canceled
	}
	if len(b) > c.n {
		b = b[:c.n]
	}
	k, err := c.r.Read(b)
	c.n -= k
	return k, err
}

// A killed ingest still leaves an ingest_log row for what it stored.
func TestKilledIngestIsRecorded(t *testing.T) {
	s := migrated(t)
	var b strings.Builder
	for i := 0; i < 3000; i++ {
		b.WriteString(event("tool", i, "") + "\n")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Urgent: true, BatchSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	src := &cancelAfter{r: strings.NewReader(b.String()), n: b.Len() / 2, cancel: cancel,
		stored: func() bool { return count(t, s, "SELECT count() FROM agent_events") >= 500 }}
	rerr := p.ReadNDJSON(ctx, "killed.ndjson", src)
	sum, cerr := p.Close(ctx)
	if rerr == nil {
		t.Fatal("the killed ingest reported no error")
	}
	if cerr != nil || sum.Accepted == 0 || sum.Accepted >= 3000 {
		t.Fatalf("close: %v; accepted %d of the 3000 lines, want some", cerr, sum.Accepted)
	}
	var acc uint64
	if err := s.Conn.QueryRow(context.Background(), "SELECT accepted FROM ingest_log WHERE ingest_id = ?", sum.IngestID).Scan(&acc); err != nil || acc != uint64(sum.Accepted) {
		t.Fatalf("ingest_log accepted %d (%v); the summary said %d", acc, err, sum.Accepted)
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != uint64(sum.Accepted) {
		t.Fatalf("stored %d, accepted %d", n, sum.Accepted)
	}
}
