package events_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
)

// testOutcomes drives the whole-run readers over the fixture plus a run
// that decided twice and retrievals: the most restrictive decision wins
// with its own policy version, a run without a policy event has none,
// runs without a case are left out, and a run is missing evidence only
// when every retrieval came back empty.
func testOutcomes(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	rec := snapshot.Record(s.Conn)
	rows := fixture(t, rec)
	base := rows[0].TS
	var more []*events.Row
	add := func(run string, kind envelope.Kind, at time.Duration, edit func(*events.Row)) {
		r := &events.Row{Tenant: "acme", Environment: "staging", TS: base.Add(at), Kind: kind,
			EventID: fmt.Sprintf("x-%s-%d", run, len(more)), TraceID: "trace-" + run, SpanID: fmt.Sprintf("x%d", len(more)),
			RunID: run, Release: "1.1", Dataset: "bot@v2", ExpiresAt: time.Unix(0, 0).UTC(), RetentionDays: 30}
		edit(r)
		more = append(more, r)
	}
	add("r3", "run", 0, func(r *events.Row) { r.CaseID = "c3" })
	add("r3", "policy", time.Second, func(r *events.Row) { r.Decision, r.PolicyVersion = "require_approval", "pv2" })
	add("r3", "policy", 2*time.Second, func(r *events.Row) { r.Decision, r.PolicyVersion = "allow", "pv3" })
	add("r3", "retrieval", 3*time.Second, func(r *events.Row) {})
	add("r3", "retrieval", 4*time.Second, func(r *events.Row) { r.SourceIDs = []string{"kb-1"} })
	add("r4", "retrieval", time.Minute, func(r *events.Row) {})
	add("r4", "retrieval", time.Minute+time.Second, func(r *events.Row) {})
	// Side effects: r3 refunds before and after its approval; r4 refunds
	// after a rejected approval, and e-mails without needing one.
	tool := func(name, auth string) func(*events.Row) {
		return func(r *events.Row) { r.Tool, r.SideEffect, r.Authorization = name, "external", auth }
	}
	add("r3", "tool", 500*time.Millisecond, tool("refund", "approval_required"))
	add("r3", "approval", 4500*time.Millisecond, func(r *events.Row) { r.Result, r.Action = "approved", "refund" })
	add("r3", "tool", 5*time.Second, tool("refund", "approval_required"))
	add("r4", "approval", time.Minute+2*time.Second, func(r *events.Row) { r.Result, r.Action = "rejected", "refund" })
	add("r4", "tool", 2*time.Minute, tool("refund", "approval_required"))
	add("r4", "tool", 2*time.Minute+time.Second, func(r *events.Row) {
		tool("email", "allowed")(r)
		r.Source, r.Redactions, r.RedactionCounts = "otlp", 3, map[string]uint32{"email": 2, "api_key": 1}
	})
	add("r4", "model", 2*time.Minute+1500*time.Millisecond, func(r *events.Row) {
		r.Source, r.Redactions, r.RedactionCounts = "otlp", 1, map[string]uint32{"email": 1}
	})
	add("r4", "tool", 2*time.Minute+2*time.Second, func(r *events.Row) { r.Tool, r.SideEffect = "lookup", "read" })
	if err := events.Insert(ctx, rec, more); err != nil {
		t.Fatal(err)
	}
	rec.Take()
	window := events.AggFilter{Since: base.Add(-time.Minute), Until: base.Add(2 * time.Hour)}
	// r1 denied (no policy version) where allow was expected, r2 made no
	// decision where deny was, r3 asked for approval as expected.
	expected := map[string]map[string]string{"bot@v1": {"c1": "allow", "c2": "deny", "c9": "deny"}, "bot@v2": {"c3": "require_approval"}}
	want := "[ 0 deny 1 [acme/r2 trace-r2 bot@v1/c2]] [ 3 allow 1 [acme/r1 trace-r1 bot@v1/c1]] [pv2 2 require_approval 1 []]"
	for _, exact := range []bool{false, true} { // run_summaries, then raw rows with FINAL
		got, err := events.DecisionCounts(ctx, rec, window, exact, expected, 5)
		if err != nil {
			t.Fatal(err)
		}
		if s := decisionCounts(got); s != want {
			t.Errorf("exact %v: decision counts = %s\nwant %s", exact, s, want)
		}
		ds, err := events.RunDatasets(ctx, rec, window, exact)
		if err != nil || fmt.Sprint(ds) != "[bot@v1 bot@v2]" {
			t.Errorf("exact %v: datasets of runs = %v, %v", exact, ds, err)
		}
	}
	// Expectations larger than the engine's default statement size (256
	// KiB) travel in the statement all the same.
	big := map[string]map[string]string{"bot@v1": {}, "bot@v2": {"c3": "require_approval"}}
	for i := range 20000 {
		big["bot@v1"][fmt.Sprintf("case-with-a-long-name-%05d", i)] = "deny"
	}
	big["bot@v1"]["c1"], big["bot@v1"]["c2"] = "allow", "deny"
	if got, err := events.DecisionCounts(ctx, rec, window, false, big, 5); err != nil || decisionCounts(got) != want {
		t.Errorf("20,000 expectations: %s, %v", decisionCounts(got), err)
	}
	only := window
	only.Releases, only.Tenant = []string{"1.1"}, "acme"
	if got, err := events.DecisionCounts(ctx, rec, only, true, expected, 5); err != nil || decisionCounts(got) != "[pv2 2 require_approval 1 []]" {
		t.Errorf("release 1.1, exact: %v, %v", got, err)
	}
	if got, err := events.DecisionCounts(ctx, rec, window, false, expected, 0); err != nil || len(got) != 3 || got[0].Wrong != nil {
		t.Errorf("no wrong runs asked for: %v, %v", got, err)
	}
	red, err := events.RedactionsByType(ctx, rec, window, false)
	if err != nil || fmt.Sprint(red) != "[{ 1.0 email 2} {otlp 1.1 api_key 1} {otlp 1.1 email 3}]" {
		t.Errorf("redactions by type = %v, %v", red, err)
	}
	tooled := window
	tooled.Tool = "email"
	if red, err := events.RedactionsByType(ctx, rec, tooled, true); err != nil || fmt.Sprint(red) != "[{otlp 1.1 api_key 1} {otlp 1.1 email 2}]" {
		t.Errorf("redactions by type of tool email, exact = %v, %v", red, err)
	}
	ev, err := events.MissingEvidence(ctx, rec, window, false)
	if err != nil || fmt.Sprint(ev) != "[{1.1 2 1}]" {
		t.Errorf("missing evidence = %v, %v", ev, err)
	}
	se, err := events.UnapprovedSideEffects(ctx, rec, window, false)
	if err != nil || fmt.Sprint(se) != "[{email 1 0 1 0} {refund 3 3 2 2}]" {
		t.Errorf("unapproved side effects = %v, %v", se, err)
	}
	reads := rec.Take()
	now := time.Now().UTC()
	for i, l := range []events.IngestLog{
		{IngestID: "i1", Source: "envelope", Accepted: 5, Rejected: 2, Expired: 1},
		{IngestID: "i2", Source: "envelope", Accepted: 1, Duplicates: 3},
		{IngestID: "i3", Source: "otlp", Accepted: 4, Conflicts: 1},
		{IngestID: "old", Source: "otlp", Rejected: 9, Started: now.Add(-48 * time.Hour)},
	} {
		if l.Started.IsZero() {
			l.Started = now.Add(-time.Duration(i+1) * time.Minute)
		}
		l.Finished = l.Started
		if err := events.RecordIngest(ctx, rec, l); err != nil {
			t.Fatal(err)
		}
	}
	rec.Take()
	ing, err := events.IngestHealth(ctx, rec, now.Add(-time.Hour), now)
	if err != nil || fmt.Sprint(ing) != "[{envelope 2 6 2 1 3 0} {otlp 1 4 0 0 0 1}]" {
		t.Errorf("ingest health = %v, %v", ing, err)
	}
	snapshot.Check(t, "outcomes", append(reads, rec.Take()...))
}

func decisionCounts(cs []events.DecisionCount) string {
	var out []string
	for _, c := range cs {
		var wrong []string
		for _, w := range c.Wrong {
			wrong = append(wrong, fmt.Sprintf("%s/%s %s %s/%s", w.Tenant, w.RunID, w.TraceID, w.Dataset, w.CaseID))
		}
		out = append(out, fmt.Sprintf("[%s %d %s %d [%s]]", c.PolicyVersion, slices.Index([]string{"", "allow", "require_approval", "deny"}, c.Decision), c.Expected, c.Runs, strings.Join(wrong, ", ")))
	}
	return strings.Join(out, " ")
}
