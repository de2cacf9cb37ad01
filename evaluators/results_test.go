package evaluators

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// TestResultsReadAndWrite drives the eval_results owner as the scorer and
// the gate do: results written twice (a re-score) count once, only the
// rule versions named count, failing cases come worst first. Every
// statement sent is compared with testdata/snapshots (go test -update
// rewrites them), and every statement of sql/ must be sent.
func TestResultsReadAndWrite(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	if _, err := schema.Migrate(ctx, db.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	rec := snapshot.Record(db.Conn)
	check := func(name string) { t.Helper(); rec.CheckTake(t, name, nil) }

	now := time.Now().UTC()
	var rs []Result
	add := func(rule, version, cs string, passed bool, score float64, errText string) {
		rs = append(rs, Result{Dataset: "bot", DatasetVersion: 2, Release: "1.0", RuleID: rule, RuleVersion: version,
			CaseID: cs, RunID: "run-" + cs, TraceID: "tr-" + cs, Tenant: "acme", Environment: "staging",
			Passed: passed, Score: score, Error: errText, Reason: "because " + cs, RunTS: now})
	}
	for i := 1; i <= 8; i++ {
		c := fmt.Sprintf("c%d", i)
		add("task", "v2", c, i > 4, float64(i)/10, "")
		add("task", "v1", c, false, 0, "") // an older version of the rule: never counted
	}
	add("safety", "s1", "c1", false, 0.9, "")
	add("safety", "s1", "c2", true, 1, "")
	add("safety", "s1", "c9", true, 0.5, "timeout") // an error is a failure
	rs[0].Reason = "worst"
	if err := WriteResults(ctx, rec, rs); err != nil {
		t.Fatal(err)
	}
	if err := WriteResults(ctx, rec, rs); err != nil { // re-scoring replaces
		t.Fatal(err)
	}
	check("write_results")

	f := ResultFilter{Dataset: "bot", Version: 2, Release: "1.0", Worst: 3,
		Rules: []RuleVersion{{"task", "v2"}, {"safety", "s1"}}}
	got, err := ReadResults(ctx, rec, f)
	if err != nil {
		t.Fatal(err)
	}
	check("read_results")
	task, safety := got.ByRule["task"], got.ByRule["safety"]
	if task == nil || task.Total != 8 || task.Passed != 4 || safety == nil || safety.Total != 3 || safety.Passed != 1 {
		t.Fatalf("totals: task %+v safety %+v", task, safety)
	}
	var worst []string
	for _, c := range task.Worst {
		worst = append(worst, c.CaseID)
	}
	if !slices.Equal(worst, []string{"c1", "c2", "c3"}) || task.Worst[0].Why != "worst" || task.Worst[0].TraceID != "tr-c1" {
		t.Errorf("task worst = %+v", task.Worst)
	}
	if len(safety.Worst) != 2 || safety.Worst[0].CaseID != "c9" || safety.Worst[0].Why != "error: timeout" {
		t.Errorf("safety worst (errors first) = %+v", safety.Worst)
	}
	if len(got.Scored) != 9 || !got.Scored["c9"] {
		t.Errorf("scored = %v", got.Scored)
	}

	// Without Worst, failing cases are not read; another release has none.
	f.Worst, f.Release = 0, "0.9"
	if got, err = ReadResults(ctx, rec, f); err != nil || len(got.ByRule) != 0 || len(got.Scored) != 0 {
		t.Fatalf("release 0.9: %+v %v", got, err)
	}
	check("read_results_no_worst")
	// Failures per release for a report: the versions named, in the
	// window; a re-score counts once, an error is a failure.
	old := Result{Dataset: "bot", DatasetVersion: 2, Release: "0.9", RuleID: "safety", RuleVersion: "s1", CaseID: "c1",
		RunID: "run-old", Tenant: "acme", Environment: "staging", RunTS: now.Add(-48 * time.Hour)}
	other := Result{Release: "1.1", RuleID: "safety", RuleVersion: "s1", RunID: "p1", Tenant: "globex", Environment: "production", RunTS: now}
	if err := WriteResults(ctx, db.Conn, []Result{old, other}); err != nil {
		t.Fatal(err)
	}
	ff := FailureFilter{Rules: []RuleVersion{{"safety", "s1"}, {"task", "v1"}}, Since: now.Add(-time.Hour), Until: now.Add(time.Minute)}
	fails, err := RuleFailures(ctx, rec, ff)
	if err != nil || fmt.Sprint(fails) != "[{1.0 safety 3 2} {1.0 task 8 8} {1.1 safety 1 1}]" {
		t.Errorf("rule failures = %v, %v", fails, err)
	}
	ff.Tenant, ff.Environment, ff.Releases = "acme", "staging", []string{"1.0", "0.9"}
	ff.Rules = ff.Rules[:1]
	if fails, err = RuleFailures(ctx, rec, ff); err != nil || fmt.Sprint(fails) != "[{1.0 safety 3 2}]" {
		t.Errorf("acme staging 1.0: %v, %v", fails, err)
	}
	check("rule_failures")
	if fails, err := RuleFailures(ctx, rec, FailureFilter{}); err != nil || fails != nil {
		t.Errorf("no rules: %v %v", fails, err)
	}

	// No rules: nothing counts, nothing is asked.
	if got, err = ReadResults(ctx, rec, ResultFilter{Dataset: "bot", Version: 2, Release: "1.0"}); err != nil || len(got.ByRule) != 0 {
		t.Fatalf("no rules: %+v %v", got, err)
	}
	if qs := rec.Take(); len(qs) != 0 {
		t.Errorf("no rules sent %q", qs)
	}

	checkRunReaders(t, ctx, rec)

	for _, n := range stmts.Names() {
		if trendStatements[n] { // TestTrends covers these
			continue
		}
		if !rec.Checked(stmts.Get(n)) {
			t.Errorf("sql/%s.sql is sent by no operation of this test: cover it, or delete it", n)
		}
	}
}
