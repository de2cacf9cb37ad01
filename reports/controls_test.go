package reports_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/reports"
)

func tableTitled(t *testing.T, r *reports.Report, title string) *reports.Table {
	t.Helper()
	for _, tb := range r.Tables {
		if tb.Title == title {
			return tb
		}
	}
	t.Fatalf("%s report has no table %q", r.Name, title)
	return nil
}

func rowsOf(tb *reports.Table) string {
	var out []string
	for i := range tb.Rows {
		out = append(out, strings.Join(tb.Cells(i), " "))
	}
	return strings.Join(out, "; ")
}

// The rag report counts the failures of the rules marked check: citation
// (only those, only their current versions) and the runs whose every
// retrieval came back empty, per release.
func TestRagCitationFailuresAndMissingEvidence(t *testing.T) {
	conn := migrated(t)
	ctx := context.Background()
	rs, err := evaluators.Parse("rag.yaml", []byte(`rules:
  - id: cites_sources
    check: citation
    expr: len(retrievals) == 0 || run.output != ""
  - id: polite
    expr: "true"
`))
	if err != nil {
		t.Fatal(err)
	}
	cite := rs.Get("cites_sources")
	now := time.Now().UTC()
	var results []evaluators.Result
	add := func(rule, version, release, run string, passed bool) {
		results = append(results, evaluators.Result{Release: release, RuleID: rule, RuleVersion: version, RunID: run,
			TraceID: "t-" + run, Tenant: "acme", Environment: "production", Passed: passed, RunTS: now.Add(-time.Hour)})
	}
	add(cite.ID, cite.Version, "1.0", "a", false)
	add(cite.ID, cite.Version, "1.0", "b", true)
	add(cite.ID, cite.Version, "1.0", "c", false)
	add(cite.ID, cite.Version, "1.1", "d", true)
	add(cite.ID, "oldversion00", "1.1", "e", false) // another version: not counted
	add("polite", rs.Get("polite").Version, "1.1", "f", false)
	if err := evaluators.WriteResults(ctx, conn, results); err != nil {
		t.Fatal(err)
	}
	var rows []*events.Row
	retr := func(run, release string, sources ...string) {
		rows = append(rows, &events.Row{Tenant: "acme", Environment: "production", TS: now.Add(-time.Hour), Kind: envelope.KindRetrieval,
			EventID: fmt.Sprintf("r%d", len(rows)), TraceID: "t-" + run, SpanID: fmt.Sprintf("s%d", len(rows)), RunID: run,
			Release: release, SourceIDs: sources, ExpiresAt: time.Unix(0, 0).UTC(), RetentionDays: 30})
	}
	retr("a", "1.0")
	retr("a", "1.0")
	retr("b", "1.0", "kb-1")
	retr("b", "1.0")
	retr("d", "1.1")
	if err := events.Insert(ctx, conn, rows); err != nil {
		t.Fatal(err)
	}
	o := reports.Options{Window: reports.Window{Since: now.Add(-24 * time.Hour), Until: now.Add(time.Minute)}, Rules: rs}
	r, err := reports.Build(ctx, conn, "rag", o)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(tableTitled(t, r, reports.TitleCitationFailures)); got != "1.0 cites_sources 3 2 0.6667; 1.1 cites_sources 1 0 0.0000" {
		t.Errorf("citation failures: %s", got)
	}
	if got := rowsOf(tableTitled(t, r, reports.TitleMissingEvidence)); got != "1.0 2 1 0.5000; 1.1 1 1 1.0000" {
		t.Errorf("missing evidence: %s", got)
	}
	o.Rules = nil
	if r, err = reports.Build(ctx, conn, "rag", o); err != nil {
		t.Fatal(err)
	}
	if tb := tableTitled(t, r, reports.TitleCitationFailures); len(tb.Rows) != 0 || !strings.Contains(tb.Footer(), "--rules DIR") {
		t.Errorf("without rules: %s (%s)", rowsOf(tb), tb.Footer())
	}
}

// The quality report shows, per ingest source, what ingest told its
// callers: rejected, expired, duplicate events, in the window only.
func TestQualityIngestsBySource(t *testing.T) {
	conn := migrated(t)
	ctx := context.Background()
	now := time.Now().UTC()
	for i, l := range []events.IngestLog{
		{IngestID: "1", Source: "envelope", Accepted: 10, Rejected: 2, Expired: 1},
		{IngestID: "2", Source: "envelope", Accepted: 3, Duplicates: 4},
		{IngestID: "3", Source: "kafka", Accepted: 7, Rejected: 1, Conflicts: 2},
		{IngestID: "4", Source: "kafka", Rejected: 50, Started: now.Add(-72 * time.Hour)},
	} {
		if l.Started.IsZero() {
			l.Started = now.Add(-time.Duration(i+1) * time.Minute)
		}
		l.Finished = l.Started
		if err := events.RecordIngest(ctx, conn, l); err != nil {
			t.Fatal(err)
		}
	}
	o := reports.Options{Window: reports.Window{Since: now.Add(-24 * time.Hour), Until: now.Add(time.Minute)}, Filter: reports.Filter{Tenant: "acme"}}
	r, err := reports.Build(ctx, conn, "quality", o)
	if err != nil {
		t.Fatal(err)
	}
	tb := tableTitled(t, r, reports.TitleIngests)
	if got := rowsOf(tb); got != "envelope 2 13 2 1 4 0; kafka 1 7 1 0 0 2" {
		t.Errorf("ingests: %s", got)
	}
	if !strings.Contains(tb.Footer(), "the filter does not apply") {
		t.Errorf("a tenant filter on the store's ingests is not said: %s", tb.Footer())
	}
}
