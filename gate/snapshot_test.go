package gate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
)

// TestSQLSnapshots records the statements on gate_decisions that Record
// and Last send (each form of Last's dataset filter), compares them with
// testdata/snapshots/<operation>.sql (go test -update rewrites them) while
// they run on the real engine, and fails when a statement of sql/ (in any
// of its forms) is sent by no operation. Statements on other owners'
// tables are theirs to snapshot.
func TestSQLSnapshots(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 1)
	if _, err := datasets.New(w.s.Conn).Create(ctx, "support-bot", []datasets.Case{{CaseID: "c001", Input: "q"}}, datasets.Provenance{By: "t"}); err != nil {
		t.Fatal(err)
	}
	rec := snapshot.Record(w.s.Conn)
	mine := func(q string) bool { return strings.Contains(q, "gate_decisions") }
	check := func(name string) { t.Helper(); rec.CheckTake(t, name, mine) }

	d := &gate.Decision{Verdict: gate.Pass, DecidedAt: time.Now().UTC().Truncate(time.Millisecond), Release: "2.4.0",
		Dataset: "support-bot@v1", DatasetName: "support-bot", DatasetVersion: 1}
	if err := gate.Record(ctx, rec, d); err != nil || !d.Stored {
		t.Fatalf("record: %v (stored %v)", err, d.Stored)
	}
	check("record")
	for _, c := range []struct{ name, dataset string }{
		{"last", ""}, {"last_dataset", "support-bot"}, {"last_version", "support-bot@v1"}, {"last_latest", "support-bot@latest"},
	} {
		got, err := gate.Last(ctx, rec, "2.4.0", c.dataset)
		if err != nil || got == nil || got.Verdict != gate.Pass || got.DatasetVersion != 1 {
			t.Fatalf("Last(%q) = %+v, %v", c.dataset, got, err)
		}
		check(c.name)
	}
	if got, err := gate.Last(ctx, rec, "2.4.0", "support-bot@v2"); err != nil || got != nil {
		t.Errorf("Last on another version = %+v, %v; want none", got, err)
	}
	// DatasetsUsed: the versions the release was gated on, each with its
	// latest verdict; another release's decisions and errored ones (no
	// dataset) are left out.
	for _, d := range []*gate.Decision{
		{Verdict: gate.Fail, DecidedAt: d.DecidedAt.Add(time.Second), Release: "2.4.0", DatasetName: "support-bot", DatasetVersion: 1},
		{Verdict: gate.Hold, DecidedAt: d.DecidedAt, Release: "2.4.0", DatasetName: "billing", DatasetVersion: 3},
		{Verdict: gate.VerdictError, DecidedAt: d.DecidedAt, Release: "2.4.0"},
		{Verdict: gate.Pass, DecidedAt: d.DecidedAt, Release: "9.9", DatasetName: "other", DatasetVersion: 1},
	} {
		if err := gate.Record(ctx, rec, d); err != nil {
			t.Fatal(err)
		}
	}
	rec.Take()
	used, err := gate.DatasetsUsed(ctx, rec, "2.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(used) != 2 || used[0].Dataset != "billing@v3" || used[0].Verdict != gate.Hold || used[0].Decisions != 1 ||
		used[1].Dataset != "support-bot@v1" || used[1].Verdict != gate.Fail || used[1].Decisions != 2 || !used[1].DecidedAt.Equal(d.DecidedAt.Add(time.Second)) {
		t.Errorf("DatasetsUsed = %+v", used)
	}
	check("datasets_used")
	if used, err := gate.DatasetsUsed(ctx, rec, "nope"); err != nil || len(used) != 0 {
		t.Errorf("DatasetsUsed of an ungated release = %+v, %v", used, err)
	}
	rec.Take()

	for n, forms := range gate.Statements() {
		for _, q := range forms {
			if !rec.Checked(q) {
				t.Errorf("sql/%s.sql, as\n%s\nis sent by no operation of this test", n, q)
			}
		}
	}
}
