package events_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

func migrated(t *testing.T) *store.Store {
	t.Helper()
	s := storetest.New(t)
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// fixture stores two runs of release 1.0 on bot@v1 for acme (one failed),
// and one production run for globex, an hour apart, stamped relative to now.
func fixture(t *testing.T, rec *snapshot.Recorder) []events.Row {
	t.Helper()
	base := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Millisecond)
	var rows []events.Row
	add := func(tenant, run string, kind envelope.Kind, at time.Duration, edit func(*events.Row)) {
		r := events.Row{Tenant: tenant, Environment: "staging", TS: base.Add(at), Kind: kind,
			EventID: fmt.Sprintf("%s-%s-%d", run, kind, len(rows)), TraceID: "trace-" + run, SpanID: fmt.Sprintf("s%d", len(rows)),
			RunID: run, Release: "1.0", Dataset: "bot@v1", ExpiresAt: time.Unix(0, 0).UTC(), RetentionDays: 30}
		if edit != nil {
			edit(&r)
		}
		rows = append(rows, r)
	}
	add("acme", "r1", "run", 0, func(r *events.Row) { r.DurationMS, r.CaseID, r.Input = 1000, "c1", `{"q":"hi"}` })
	add("acme", "r1", "model", time.Second, func(r *events.Row) {
		r.Model, r.CostUSD, r.InputTokens, r.OutputTokens = "m1", 0.5, 10, 20
		r.RedactionCounts, r.Redactions = map[string]uint32{"email": 2}, 2
	})
	add("acme", "r1", "policy", 2*time.Second, func(r *events.Row) { r.Decision, r.ReasonCode = "deny", "pii" })
	add("acme", "r2", "run", time.Minute, func(r *events.Row) {
		r.DurationMS, r.Status, r.CaseID, r.ContractViolations = 3000, "error", "c2", []string{"stop_reason"}
	})
	add("acme", "r2", "model", time.Minute+time.Second, func(r *events.Row) { r.Model, r.CostUSD = "m2", 1.5 })
	add("globex", "p1", "run", time.Hour, func(r *events.Row) { r.Environment, r.Dataset, r.Release = "production", "", "2.0" })
	ptrs := make([]*events.Row, len(rows))
	for i := range rows {
		ptrs[i] = &rows[i]
	}
	if err := events.Insert(context.Background(), rec, ptrs); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestSnapshots drives every writer and reader on the real engine, checks
// what each returns, compares the statements sent with
// testdata/snapshots/*.sql (go test -update rewrites them), and fails when
// a file of sql/ was used by none of them.
func TestSnapshots(t *testing.T) {
	t.Run("write", testWrite)
	t.Run("run_events", testForEachRun)
	t.Run("metrics", testMetricsAndSummaries)
	t.Run("traces", testTraceReaders)
	t.Run("outcomes", testOutcomes)
	t.Run("pages", testPages)
	t.Run("aggregate", testAggregate)
	t.Run("runs", testRunReaders)
	t.Run("stage", testStage)
	t.Run("release", testRelease)
	if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "/") {
		return // some subtests only: the others' statements are unused
	}
	if unused := events.Statements.Unused(); len(unused) > 0 && !t.Failed() {
		t.Errorf("sql/ files no reader or writer sent: %v", unused)
	}
}

func testWrite(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	rec := snapshot.Record(s.Conn)
	rows := fixture(t, rec)
	win := events.Window{Tenants: []string{"acme"}, Lo: rows[0].TS, Hi: rows[4].TS}
	n, err := events.CountInWindow(ctx, rec, win)
	if err != nil || n != 5 {
		t.Fatalf("CountInWindow = %d, %v; want 5", n, err)
	}
	seen := map[events.Key]uint64{}
	if err := events.KeysInWindow(ctx, rec, win, seen); err != nil || len(seen) != 5 {
		t.Fatalf("KeysInWindow: %d keys, %v", len(seen), err)
	}
	byID := map[events.Key]uint64{}
	if err := events.KeysByID(ctx, rec, []string{rows[5].EventID, "absent"}, byID); err != nil || len(byID) != 1 {
		t.Fatalf("KeysByID: %v, %v", byID, err)
	}
	if _, ok := byID[events.Key{Tenant: "globex", EventID: rows[5].EventID}]; !ok {
		t.Errorf("KeysByID = %v", byID)
	}
	now := time.Now().UTC()
	if err := events.RecordIngest(ctx, rec, events.IngestLog{IngestID: "i1", Started: now.Add(-time.Second), Finished: now,
		Source: "envelope", Origin: "f.jsonl", Accepted: 6, Redactions: map[string]uint64{"email": 2}}); err != nil {
		t.Fatal(err)
	}
	var acc uint64
	var red map[string]uint64
	if err := s.Conn.QueryRow(ctx, "SELECT accepted, redactions FROM ingest_log WHERE ingest_id = 'i1'").Scan(&acc, &red); err != nil || acc != 6 || red["email"] != 2 {
		t.Errorf("ingest_log row: accepted %d redactions %v, %v", acc, red, err)
	}
	snapshot.Check(t, "write", rec.Take())
}

func testForEachRun(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	rec := snapshot.Record(s.Conn)
	fixture(t, rec)
	rec.Take()
	collect := func(f events.RunFilter) []string {
		var out []string
		err := events.ForEachRun(ctx, rec, f, func(run []events.Row) error {
			out = append(out, fmt.Sprintf("%s/%s:%d", run[0].Tenant, run[0].RunID, len(run)))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := fmt.Sprint(collect(events.RunFilter{})); got != "[acme/r1:3 acme/r2:2 globex/p1:1]" {
		t.Errorf("every run = %s", got)
	}
	if got := fmt.Sprint(collect(events.RunFilter{Dataset: "bot@v1", Release: "1.0", Tenant: "acme", Environment: "staging"})); got != "[acme/r1:3 acme/r2:2]" {
		t.Errorf("dataset runs = %s", got)
	}
	if got := fmt.Sprint(collect(events.RunFilter{Environment: "production", Since: time.Now().Add(-150 * time.Minute)})); got != "[globex/p1:1]" {
		t.Errorf("production runs since = %s", got)
	}
	if got := collect(events.RunFilter{Since: time.Now()}); len(got) != 0 {
		t.Errorf("runs since now = %v", got)
	}
	stop := errors.New("stop")
	if err := events.ForEachRun(ctx, rec, events.RunFilter{}, func([]events.Row) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn's error = %v", err)
	}
	snapshot.Check(t, "run_events", rec.Take())
}

func testMetricsAndSummaries(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	rec := snapshot.Record(s.Conn)
	fixture(t, rec)
	rec.Take()
	m, err := events.ReadRunMetrics(ctx, rec, events.Selection{Dataset: "bot@v1", Release: "1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Runs != 2 || m.CostMean != 1 || m.ErrorRate != 0.5 || m.ContractViolations != 1 {
		t.Errorf("run metrics = %+v", m)
	}
	gaps, err := events.ContractGaps(ctx, rec, events.Selection{Dataset: "bot@v1", Release: "1.0"})
	if err != nil || fmt.Sprint(gaps) != "[{run stop_reason 1}]" {
		t.Errorf("contract gaps = %v, %v", gaps, err)
	}
	rel, err := events.ReleaseRunCounts(ctx, rec, events.Selection{})
	if err != nil || fmt.Sprint(rel) != "[{1.0 2 1 5 2 30} {2.0 1 0 1 0 0}]" {
		t.Errorf("release runs = %v, %v", rel, err)
	}
	acme := events.Selection{Tenant: "acme"}
	models, err := events.ModelUsages(ctx, rec, acme)
	if err != nil || fmt.Sprint(models) != "[{m2 1 0 0 1.5} {m1 1 10 20 0.5}]" {
		t.Errorf("model usage = %v, %v", models, err)
	}
	pol, err := events.PolicyDecisionCounts(ctx, rec, acme)
	if err != nil || fmt.Sprint(pol) != "[{deny pii 1}]" {
		t.Errorf("policy = %v, %v", pol, err)
	}
	red, err := events.RedactionCounts(ctx, rec, events.Selection{Tenant: "globex"})
	if err != nil || len(red) != 0 {
		t.Errorf("globex redactions = %v, %v", red, err)
	}
	if red, _ := events.RedactionCounts(ctx, rec, acme); fmt.Sprint(red) != "[{email 2}]" {
		t.Errorf("acme redactions = %v", red)
	}
	snapshot.Check(t, "metrics", rec.Take())
}

func testTraceReaders(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	rec := snapshot.Record(s.Conn)
	fixture(t, rec)
	rec.Take()
	if n, err := events.TraceEventCount(ctx, rec, "trace-r1"); err != nil || n != 3 {
		t.Errorf("count = %d, %v", n, err)
	}
	run, err := events.TraceRun(ctx, rec, "trace-r1")
	if err != nil || run.RunID != "r1" || run.Input != `{"q":"hi"}` || run.CaseID != "c1" {
		t.Errorf("run = %+v, %v", run, err)
	}
	if _, err := events.TraceRun(ctx, rec, "nope"); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("missing trace: %v", err)
	}
	evs, err := events.TraceEvents(ctx, rec, "trace-r1")
	if err != nil || len(evs) != 3 || evs[1].Model != "m1" || evs[2].Decision != "deny" {
		t.Errorf("events = %+v, %v", evs, err)
	}
	snapshot.Check(t, "traces", rec.Take())
}

func testPages(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	rec := snapshot.Record(s.Conn)
	rows := fixture(t, rec)
	rec.Take()
	f := events.Filter{Tenant: "acme", Environment: "staging", Release: "1.0", Since: rows[0].TS, Until: rows[4].TS}
	if n, err := events.Count(ctx, rec, f); err != nil || n != 4 {
		t.Errorf("count = %d, %v; want 4 (until is exclusive)", n, err)
	}
	var got []string
	var after *events.Row
	for {
		page, err := events.Page(ctx, rec, events.Filter{}, after, 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			if r.IngestedAt.IsZero() {
				t.Errorf("%s: ingested_at not read", r.EventID)
			}
			got = append(got, r.EventID)
		}
		if len(page) < 4 {
			break
		}
		after = &page[len(page)-1]
	}
	if len(got) != len(rows) || got[0] != rows[0].EventID {
		t.Errorf("paged %v", got)
	}
	if _, err := events.Count(ctx, rec, f); err != nil {
		t.Fatal(err)
	}
	snapshot.Check(t, "pages", rec.Take())
}
