package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
)

// poison makes the store refuse one kind of row for good, as a cluster's
// constraint would: a real server-side rejection (VIOLATED_CONSTRAINT).
func poison(t *testing.T, conn interface {
	Exec(context.Context, string, ...any) error
}) {
	t.Helper()
	if err := conn.Exec(context.Background(), "ALTER TABLE agent_events ADD CONSTRAINT no_poison CHECK task != 'poison'"); err != nil {
		t.Fatal(err)
	}
}

func poisoned(i int) string {
	return strings.Replace(event("run", i, ""), `"task":"refund_request"`, `"task":"poison"`, 1)
}

// A row the store refuses is rejected and named; the rest of its batch lands.
func TestRefusedRowIsRejectedTheRestLand(t *testing.T) {
	s := migrated(t)
	poison(t, s.Conn)
	lines := []string{event("tool", 1, ""), event("model", 2, ""), poisoned(3), event("policy", 4, ""), event("memory", 5, "")}
	sum := ingestString(t, s, ingest.Options{}, "p.ndjson", strings.Join(lines, "\n")+"\n")
	if sum.Accepted != 4 || sum.Rejected != 1 || len(sum.Errors) != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if e := sum.Errors[0]; e.Origin != "p.ndjson" || e.Line != 3 || !strings.Contains(e.Reason, "the store refused the event") || !strings.Contains(e.Reason, "no_poison") {
		t.Fatalf("error %+v", e)
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != 4 {
		t.Fatalf("stored %d, want 4", n)
	}
	var acc, rej uint64
	s.Conn.QueryRow(context.Background(), "SELECT accepted, rejected FROM ingest_log WHERE ingest_id = ?", sum.IngestID).Scan(&acc, &rej)
	if acc != 4 || rej != 1 {
		t.Fatalf("ingest_log: accepted %d rejected %d", acc, rej)
	}
}

// One bad event never fails the innocent writes it was coalesced with.
func TestRefusedRowDoesNotFailCoalescedWrites(t *testing.T) {
	s := migrated(t)
	poison(t, s.Conn)
	w := ingest.NewWriter(s.Conn, 100000, 300*time.Millisecond) // long enough to coalesce
	ctx := context.Background()
	var wg sync.WaitGroup
	sums := make([]ingest.Summary, 4)
	for g := range sums {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, _ := ingest.NewPipeline(w, ingest.Options{})
			var b strings.Builder
			for i := 0; i < 20; i++ {
				if g == 0 && i == 7 {
					b.WriteString(poisoned(g*100+i) + "\n")
					continue
				}
				b.WriteString(event("tool", g*100+i, "") + "\n")
			}
			if err := p.ReadNDJSON(ctx, fmt.Sprint("w", g), strings.NewReader(b.String())); err != nil {
				t.Error(err)
			}
			var err error
			if sums[g], err = p.Close(ctx); err != nil {
				t.Errorf("writer %d: %v", g, err)
			}
		}()
	}
	wg.Wait()
	if s0 := sums[0]; s0.Accepted != 19 || s0.Rejected != 1 || s0.Errors[0].Line != 8 {
		t.Fatalf("the poisoned writer: %+v", s0)
	}
	for g := 1; g < 4; g++ {
		if sums[g].Accepted != 20 || sums[g].Rejected != 0 {
			t.Fatalf("innocent writer %d: %+v", g, sums[g])
		}
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != 79 {
		t.Fatalf("stored %d, want 79", n)
	}
}

func TestPermanentOrRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		perm bool
	}{
		{errors.New("dial tcp 127.0.0.1:8123: connect: connection refused"), false},
		{errors.New("sendQuery: [HTTP 500] code: 252, message: Too many parts"), false},
		{errors.New("sendQuery: [HTTP 500] code: 241, message: Memory limit exceeded"), false},
		{errors.New("sendQuery: [HTTP 500] code: 469, message: Constraint `no_poison` is violated"), true},
		{fmt.Errorf("ingest: insert 3 events: %w", errors.New("code: 27, message: Cannot parse input")), true},
		{context.DeadlineExceeded, false},
	} {
		if got := ingest.IsPermanent(c.err); got != c.perm {
			t.Errorf("IsPermanent(%v) = %v, want %v", c.err, got, c.perm)
		}
	}
}

// A batch full of refused rows costs a bounded number of inserts; rows the
// bound leaves unresolved are rejected too (never retried forever), each
// named with why.
func TestIsolationIsBounded(t *testing.T) {
	s := migrated(t)
	poison(t, s.Conn)
	var b strings.Builder
	for i := 0; i < 600; i++ {
		b.WriteString(poisoned(i) + "\n")
	}
	var dead bytes.Buffer
	p, _ := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Urgent: true, BatchSize: 1000, DeadLetter: &dead})
	if err := p.ReadNDJSON(context.Background(), "all-bad", strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	sum, err := p.Close(context.Background())
	if err != nil || sum.Rejected != 600 || sum.Accepted != 0 {
		t.Fatalf("600 refused rows: %v, rejected %d accepted %d", err, sum.Rejected, sum.Accepted)
	}
	if n := strings.Count(dead.String(), "\n"); n != 600 {
		t.Fatalf("%d dead letters for 600 rejected rows", n)
	}
	if !strings.Contains(dead.String(), "insert budget") || !strings.Contains(dead.String(), "no_poison") {
		t.Fatal("the dead letters do not say why: refused, or not isolated within the budget")
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != 0 {
		t.Fatalf("stored %d", n)
	}
}
