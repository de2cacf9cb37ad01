package ingest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest"
)

// OnClose is told once of the final summary, with the pipeline's source;
// ObserveInserts of each insert the Writer sends, with its rows.
func TestObserveCloseAndInserts(t *testing.T) {
	s := migrated(t)
	old := time.Now().Add(-30 * 24 * time.Hour)
	key := "AKIAIOSFODNN7EXAMPLE"
	lines := []string{
		event("run", 1, ""),
		strings.Replace(event("policy", 2, ""), `"reason_code":"refund_over_limit"`, `"reason_code":"leaked `+key+`"`, 1),
		"{not json",
		at("tool", 3, old),
		event("run", 1, ""), // a duplicate of the first
	}
	var closes []ingest.Summary
	var sources []string
	opts := ingest.Options{Source: "http", Retention: "short", OnClose: func(src string, sum ingest.Summary) {
		sources = append(sources, src)
		closes = append(closes, sum)
	}}
	var inserted []int
	w := ingest.NewWriter(s.Conn, 0, 0)
	w.ObserveInserts(func(rows int, took time.Duration, err error) {
		if err != nil || took <= 0 {
			t.Errorf("insert of %d rows: %s, %v", rows, took, err)
		}
		inserted = append(inserted, rows)
	})
	p, err := ingest.NewPipeline(w, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ReadNDJSON(t.Context(), "req", strings.NewReader(strings.Join(lines, "\n")+"\n")); err != nil {
		t.Fatal(err)
	}
	sum, err := p.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(closes) != 1 || sources[0] != "http" {
		t.Fatalf("OnClose told %d times, sources %v", len(closes), sources)
	}
	got := closes[0]
	if got.IngestID != sum.IngestID || got.Accepted != 2 || got.Duplicates != 1 || got.Rejected != 1 || got.Expired != 1 || got.Redactions["aws_key"] != 1 {
		t.Fatalf("OnClose summary %+v", got)
	}
	if len(inserted) != 1 || inserted[0] != 2 {
		t.Fatalf("inserts observed: %v, want one of 2 rows", inserted)
	}
}
