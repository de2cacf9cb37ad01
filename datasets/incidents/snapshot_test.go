package incidents_test

import (
	"context"
	"testing"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/datasets/incidents"
	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// TestSQLSnapshots records the statements on the incidents table each
// operation sends, compares them with testdata/snapshots/<operation>.sql
// (go test -update rewrites them) while they run on the real engine, and
// fails when a statement of sql/ is sent by no operation. Statements on
// other owners' tables (the runs' events, the dataset) are theirs to
// snapshot.
func TestSQLSnapshots(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	if _, err := schema.Migrate(ctx, db.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	ingestFailedRun(t, db.Conn)
	ds := datasets.New(db.Conn)
	rec := snapshot.Record(db.Conn)
	s := incidents.New(rec, ds)
	own := incidents.OwnStatements()
	mine := func(q string) bool { _, ok := own[q]; return ok }
	check := func(name string) { t.Helper(); rec.CheckTake(t, name, mine) }

	inc, err := s.Open(ctx, []string{"tr-bad"}, "token in chat", "sev2", "me")
	if err != nil {
		t.Fatal(err)
	}
	check("open")
	if all, err := s.List(ctx); err != nil || len(all) != 1 {
		t.Fatalf("list: %+v %v", all, err)
	}
	check("list")
	if got, err := s.Get(ctx, inc.ID); err != nil || got.ID != inc.ID {
		t.Fatalf("get: %+v %v", got, err)
	}
	check("get")
	if _, err := s.Promote(ctx, inc.ID, "support-bot", map[string]any{"must_not_contain": "reset?t="}, "oncall", false); err != nil {
		t.Fatal(err)
	}
	check("promote")
	if got, _ := s.Get(ctx, inc.ID); got.Status != "promoted" || got.PromotedTo != "support-bot@v1" {
		t.Errorf("after promote: %+v", got)
	}
	rec.Take()

	for q, n := range own {
		if !rec.Checked(q) {
			t.Errorf("sql/%s.sql is sent by no operation of this test: cover it, or delete it", n)
		}
	}
}
