package datasets

import (
	"context"
	"testing"

	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// TestSQLSnapshots records every statement each Store operation sends and
// compares it with testdata/snapshots/<operation>.sql (go test -update
// rewrites them), while the statements run on the real engine; it fails
// when a statement of sql/ is sent by no operation.
func TestSQLSnapshots(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	if _, err := schema.Migrate(ctx, db.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	rec := snapshot.Record(db.Conn)
	s := New(rec)
	check := func(name string) { t.Helper(); rec.CheckTake(t, name, nil) }

	v1, err := s.Create(ctx, "bot", cases("c1", "c2"), Provenance{By: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	check("create")
	v2, created, err := s.Add(ctx, "bot", cases("c3"), Provenance{By: "ana"}, true)
	if err != nil || !created {
		t.Fatalf("add: %v %v", created, err)
	}
	check("add_draft")
	if _, err := s.Approve(ctx, "bot", v2.Number); err != nil {
		t.Fatal(err)
	}
	check("approve")
	if v, err := s.Resolve(ctx, "bot@latest"); err != nil || v.Number != 2 {
		t.Fatalf("resolve: %+v %v", v, err)
	}
	check("resolve")
	if cs, err := s.Cases(ctx, v2); err != nil || len(cs) != 3 {
		t.Fatalf("cases: %d %v", len(cs), err)
	}
	check("cases")
	if all, err := s.List(ctx); err != nil || len(all) != 1 {
		t.Fatalf("list: %+v %v", all, err)
	}
	check("list")
	if d, err := s.Diff(ctx, v1, v2); err != nil || len(d.Added) != 1 {
		t.Fatalf("diff: %+v %v", d, err)
	}
	check("diff")
	// A case expecting a policy decision, one expecting a number there,
	// one without the key; an unpinned ref and an unknown version name no
	// case.
	pc := cases("p1", "p2", "p3")
	pc[0].Expected = map[string]any{"policy_decision": "deny"}
	pc[1].Expected = map[string]any{"policy_decision": 3.0}
	pv, err := s.Create(ctx, "policy", pc, Provenance{By: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	rec.Take()
	exp, err := s.ExpectedField(ctx, []string{pv.Ref(), "policy", "policy@v9", "bot@v1"}, "policy_decision")
	if err != nil || len(exp) != 1 || len(exp["policy@v1"]) != 2 || string(exp["policy@v1"]["p1"]) != `"deny"` || string(exp["policy@v1"]["p2"]) != "3" {
		t.Fatalf("expected field: %v %v", exp, err)
	}
	if exp, err := s.ExpectedField(ctx, []string{"policy"}, "policy_decision"); err != nil || len(exp) != 0 {
		t.Errorf("no pinned ref: %v %v", exp, err)
	}
	check("expected_field")

	for _, n := range stmts.Names() {
		if !rec.Checked(stmts.Get(n)) {
			t.Errorf("sql/%s.sql is sent by no operation of this test: cover it, or delete it", n)
		}
	}
}
