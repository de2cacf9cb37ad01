package reports_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/reports"
	"github.com/evalhouse/evalhouse/schema"
)

// Two writers with no shared state (two `evalhouse ingest` processes
// against one served store) send the same 50,000 events at once. Their
// duplicate checks race, so the table may hold a row twice until it merges;
// every count a report reads must still see each event once.
func TestConcurrentWritersNeverDoubleCount(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	const n = 50000
	ts := time.Now().UTC().Add(-time.Hour)
	var b strings.Builder
	for i := 0; i < n; i++ {
		kind := `"kind":"model","model":"gpt-4o","prompt_version":"p","input_ref":"x","output_status":"ok","input_tokens":10,"output_tokens":5,"latency_ms":80`
		if i%10 == 0 {
			kind = `"kind":"run","actor":"bot","task":"t","input":"q","output":"a","stop_reason":"completed"`
		}
		fmt.Fprintf(&b, `{%s,"event_id":"ev-%06d","trace_id":"tr%05d","span_id":"s%06d","run_id":"run%05d","tenant":"acme","environment":"prod","release":"1.0","ts":%q,"duration_ms":5,"status":"ok"}`+"\n",
			kind, i, i/10, i, i/10, ts.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano))
	}
	data := b.String()
	var wg sync.WaitGroup
	sums := make([]ingest.Summary, 2)
	for w := range sums {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Urgent: true, BatchSize: 5000})
			if err != nil {
				t.Error(err)
				return
			}
			if err := p.ReadNDJSON(ctx, fmt.Sprint("writer", w), strings.NewReader(data)); err != nil {
				t.Error(err)
			}
			sums[w], err = p.Close(ctx)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for w, sum := range sums {
		if sum.Accepted+sum.Duplicates != n || sum.Rejected+sum.Expired != 0 {
			t.Fatalf("writer %d: %+v", w, sum)
		}
	}
	var raw, exact uint64
	s.Conn.QueryRow(ctx, "SELECT count() FROM agent_events").Scan(&raw)
	s.Conn.QueryRow(ctx, "SELECT count() FROM agent_events FINAL").Scan(&exact)
	t.Logf("writers accepted %d + %d; rows %d, distinct events %d", sums[0].Accepted, sums[1].Accepted, raw, exact)
	if exact != n {
		t.Fatalf("FINAL sees %d events, want %d", exact, n)
	}
	r, err := reports.BuildSummary(ctx, s.Conn, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Releases) != 1 || r.Releases[0].Events != n || r.Releases[0].Runs != n/10 {
		t.Fatalf("report releases %+v, want %d events and %d runs", r.Releases, n, n/10)
	}
	calls := uint64(0)
	for _, m := range r.Models {
		calls += m.Calls
	}
	if calls != n-n/10 {
		t.Fatalf("report counts %d model calls, want %d", calls, n-n/10)
	}
}
