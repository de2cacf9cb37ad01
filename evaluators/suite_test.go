package evaluators_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// TestScoreSuite scores a dataset version as `evalhouse eval --dataset`
// does: the version a reference names, its cases as rules see them, the
// results readable through ReadResults, missing and unknown cases named.
func TestScoreSuite(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	ds := datasets.New(s.Conn)
	var cs []datasets.Case
	for _, id := range []string{"c1", "c2", "c3"} {
		cs = append(cs, datasets.Case{CaseID: id, Input: "q " + id, Expected: map[string]any{"answer": "ok " + id}, Tags: []string{"t"}})
	}
	if _, err := ds.Create(ctx, "bot", cs, datasets.Provenance{By: "t"}); err != nil {
		t.Fatal(err)
	}
	// Runs of c1 (right answer), c2 (wrong) and c9 (not in the version).
	var nd strings.Builder
	ts := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	for _, r := range [][2]string{{"c1", "ok c1"}, {"c2", "nope"}, {"c9", "ok c9"}} {
		fmt.Fprintf(&nd, `{"kind":"run","trace_id":"t-%[1]s","span_id":"s-%[1]s","run_id":"r-%[1]s","tenant":"acme","environment":"staging","release":"1.0","ts":%[2]q,"duration_ms":5,"status":"ok","dataset":"bot@v1","case_id":%[1]q,"actor":"bot","task":"x","input":"q","output":%[3]q,"stop_reason":"completed"}`+"\n", r[0], ts, r[1])
	}
	p, _ := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Urgent: true})
	if err := p.ReadNDJSON(ctx, "t", strings.NewReader(nd.String())); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rule := "rules:\n  - id: answers\n    scope: dataset\n    expr: run.output == case.expected.answer\n"
	if err := os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := evaluators.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := evaluators.OpenSuite(ctx, ds, "bot@v2"); !errors.Is(err, datasets.ErrNotFound) {
		t.Fatalf("bot@v2: %v, want ErrNotFound", err)
	}
	suite, err := evaluators.OpenSuite(ctx, ds, "bot@latest")
	if err != nil {
		t.Fatal(err)
	}
	if suite.Version.Ref() != "bot@v1" || !slices.Equal(suite.CaseIDs(), []string{"c1", "c2", "c3"}) {
		t.Fatalf("suite %s %v", suite.Version.Ref(), suite.CaseIDs())
	}
	if c := suite.Source()["c2"]; c.ID != "c2" || c.Input != "q c2" || c.Expected["answer"] != "ok c2" || !slices.Equal(c.Tags, []string{"t"}) {
		t.Errorf("case c2 as rules see it: %+v", c)
	}
	res, err := evaluators.ScoreSuite(ctx, s.Conn, rs, suite, "1.0")
	if err != nil {
		t.Fatal(err)
	}
	if res.Runs != 2 || res.Passed != 1 || res.Failed != 1 || !slices.Equal(res.MissingCases, []string{"c3"}) || !slices.Equal(res.UnknownCases, []string{"c9"}) {
		t.Fatalf("score: %+v", res)
	}
	got, err := evaluators.ReadResults(ctx, s.Conn, evaluators.ResultFilter{Dataset: "bot", Version: 1, Release: "1.0", Worst: 5,
		Rules: []evaluators.RuleVersion{{ID: "answers", Version: rs.Rules[0].Version}}})
	if err != nil {
		t.Fatal(err)
	}
	if a := got.ByRule["answers"]; a == nil || a.Total != 2 || a.Passed != 1 || len(a.Worst) != 1 || a.Worst[0].CaseID != "c2" || a.Worst[0].TraceID != "t-c2" {
		t.Fatalf("results: %+v", got.ByRule["answers"])
	}
}
