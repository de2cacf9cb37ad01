package reports_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/restamp"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/reports"
	"github.com/evalhouse/evalhouse/schema"
)

// The summary of the example's release 2.3.1 matches the counts its
// generator prints (examples/support-agent/README.md).
func TestSummaryOfTheExample(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	// The example carries fixed dates; ingest a copy restamped to now.
	files, err := restamp.Files(t.TempDir(), time.Now(), "../examples/support-agent/events-2.3.1.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, _ := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Urgent: true})
	if err := p.ReadNDJSON(ctx, "2.3.1", f); err != nil {
		t.Fatal(err)
	}
	sum, err := p.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := reports.BuildSummary(ctx, s.Conn, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Releases) != 1 || r.Releases[0].Runs != 28 || r.Releases[0].Events != 259 || r.Releases[0].FailedRuns != 1 {
		t.Fatalf("releases: %+v", r.Releases)
	}
	calls := uint64(0)
	for _, m := range r.Models {
		calls += m.Calls
		if m.CostUSD <= 0 {
			t.Errorf("model %s has no cost", m.Model)
		}
	}
	if calls != 57 {
		t.Fatalf("%d model calls, want 57", calls)
	}
	policies := uint64(0)
	for _, p := range r.Policy {
		policies += p.Count
	}
	if policies != 8 || len(r.Contract) != 0 {
		t.Fatalf("policy %d, contract %+v", policies, r.Contract)
	}
	red := uint64(0)
	for _, x := range r.Redactions {
		red += x.Count
	}
	if red != uint64(sum.Redactions.Total()) || red == 0 {
		t.Fatalf("report counts %d redactions, ingest %d", red, sum.Redactions.Total())
	}
	var out bytes.Buffer
	r.WriteText(&out)
	for _, want := range []string{"Runs per release", "2.3.1", "gpt-4o", "Redactions"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if other, _ := reports.BuildSummary(ctx, s.Conn, "someone-else"); len(other.Releases) != 0 {
		t.Fatalf("tenant filter leaks: %+v", other.Releases)
	}
}
