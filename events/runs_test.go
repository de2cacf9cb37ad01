package events_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
)

// testRunReaders drives the responder's readers over the fixture: the
// list's figures are the fixture's sums, every filter narrows it as a
// responder expects, and one run reads back event by event.
func testRunReaders(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	rec := snapshot.Record(s.Conn)
	rows := fixture(t, rec)
	rec.Take()
	list := func(q events.RunQuery) []string {
		t.Helper()
		got, err := events.ListRuns(ctx, rec, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range got {
			out = append(out, r.Tenant+"/"+r.RunID)
		}
		return out
	}
	all, err := events.ListRuns(ctx, rec, events.RunQuery{})
	if err != nil || len(all) != 3 {
		t.Fatalf("every run: %+v, %v", all, err)
	}
	// Newest first: p1 started an hour after r1, r2 a minute after.
	p1, r2, r1 := all[0], all[1], all[2]
	if p1.RunID != "p1" || r2.RunID != "r2" || r1.RunID != "r1" {
		t.Fatalf("order: %s %s %s", p1.RunID, r2.RunID, r1.RunID)
	}
	if r1.TraceID != "trace-r1" || r1.Events != 3 || r1.ModelCalls != 1 || r1.InputTokens != 10 || r1.OutputTokens != 20 ||
		r1.CostUSD != 0.5 || r1.Policy["deny"] != 1 || len(r1.Policy) != 1 || r1.DurationMS != 1000 || r1.CaseID != "c1" ||
		r1.Dataset != "bot@v1" || r1.Redactions != 2 || !r1.Started.Equal(rows[0].TS) {
		t.Errorf("r1 = %+v", r1)
	}
	if r2.Status != "error" || r2.ContractViolations != 1 || r2.CostUSD != 1.5 || len(r2.Policy) != 0 || r2.DurationMS != 3000 {
		t.Errorf("r2 = %+v", r2)
	}
	if p1.Environment != "production" || p1.Release != "2.0" || p1.Events != 1 || p1.Dataset != "" {
		t.Errorf("p1 = %+v", p1)
	}
	for _, tc := range []struct {
		name string
		q    events.RunQuery
		want string
	}{
		{"status", events.RunQuery{Status: "error"}, "[acme/r2]"},
		{"policy", events.RunQuery{Policy: "deny", Exact: true}, "[acme/r1]"},
		{"policy none", events.RunQuery{Policy: "allow"}, "[]"},
		{"release env tenant", events.RunQuery{Release: "1.0", Environment: "staging", Tenant: "acme"}, "[acme/r2 acme/r1]"},
		{"since", events.RunQuery{Since: rows[3].TS}, "[globex/p1 acme/r2]"},
		{"until exclusive", events.RunQuery{Until: rows[3].TS}, "[acme/r1]"},
		{"limit", events.RunQuery{Limit: 1}, "[globex/p1]"},
		{"runs", events.RunQuery{Runs: []events.RunKey{{"acme", "r1"}, {"globex", "r1"}}}, "[acme/r1]"},
		{"no runs", events.RunQuery{Runs: []events.RunKey{}}, "[]"},
	} {
		if got := fmt.Sprint(list(tc.q)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}

	refs, err := events.FindRuns(ctx, rec, "trace-r2", "")
	if err != nil || fmt.Sprint(refs) != "[{acme r2 trace-r2}]" {
		t.Errorf("by trace: %v, %v", refs, err)
	}
	if refs, _ = events.FindRuns(ctx, rec, "r1", "acme"); fmt.Sprint(refs) != "[{acme r1 trace-r1}]" {
		t.Errorf("by run id: %v", refs)
	}
	if refs, _ = events.FindRuns(ctx, rec, "r1", "globex"); len(refs) != 0 {
		t.Errorf("another tenant's run: %v", refs)
	}
	evs, err := events.RunEvents(ctx, rec, events.RunKey{Tenant: "acme", RunID: "r1"})
	if err != nil || len(evs) != 3 {
		t.Fatalf("run r1: %d events, %v", len(evs), err)
	}
	for i, e := range evs {
		if e.EventID != rows[i].EventID || !e.TS.Equal(rows[i].TS) || e.Kind != rows[i].Kind || e.IngestedAt.IsZero() {
			t.Errorf("event %d = %s %s %s, want %s %s %s", i, e.EventID, e.TS, e.Kind, rows[i].EventID, rows[i].TS, rows[i].Kind)
		}
	}
	if evs[1].RedactionCounts["email"] != 2 || evs[0].Input != `{"q":"hi"}` {
		t.Errorf("responder columns: %+v", evs[1])
	}
	if _, err := events.RunEvents(ctx, rec, events.RunKey{Tenant: "globex", RunID: "r1"}); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
	snapshot.Check(t, "runs", rec.Take())
}
