package evaluators

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// trendStatements are the statements (and fragments) of the trend
// readers; TestTrends covers them, TestResultsReadAndWrite the rest.
var trendStatements = map[string]bool{"trend_scope": true, "trend_current": true, "trend_latest_version": true,
	"rule_pass_rates": true, "case_outcomes": true, "case_flips": true}

// TestTrends drives the trend readers as the evals and diff reports do, on
// results written the way the scorer writes them: a release re-scored with
// a new rule version counts only the new one, a release scored on two
// dataset versions compares cases on the higher one, another tenant's and
// an old run's results are left out. Every figure below is counted by hand
// from the results written.
func TestTrends(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	if _, err := schema.Migrate(ctx, db.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	rec := snapshot.Record(db.Conn)
	now := time.Now().UTC().Truncate(time.Millisecond)
	// write stores one scoring: "c1+ c2-" is case c1 passed, c2 failed.
	write := func(tenant, dataset string, version uint32, release, rule, ruleVersion string, ts time.Time, outcomes string) {
		t.Helper()
		var rs []Result
		for _, o := range strings.Fields(outcomes) {
			cs, passed := o[:len(o)-1], o[len(o)-1] == '+'
			run := "run-" + release + "-" + cs
			if cs == "_" { // a production run: no case
				cs, run = "", "run-"+release+"-prod"
			}
			rs = append(rs, Result{Dataset: dataset, DatasetVersion: version, Release: release, RuleID: rule, RuleVersion: ruleVersion,
				CaseID: cs, RunID: run, TraceID: "tr-" + run, Tenant: tenant, Environment: "staging", Passed: passed, RunTS: ts})
		}
		if err := WriteResults(ctx, db.Conn, rs); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // evaluated_at orders the scorings
	}
	r10, r11 := now.Add(-3*time.Hour), now.Add(-2*time.Hour)
	write("acme", "bot", 1, "1.0", "task", "v1", r10, "c1+ c2+ c3- c4+")
	write("acme", "bot", 1, "1.0", "safety", "s1", r10, "c1+ c2+ c3+ c4-")
	write("acme", "bot", 1, "1.1", "task", "v1", r11, "c1+ c2- c3+ c4+")
	write("acme", "bot", 1, "1.1", "task", "v2", r11, "c1+ c2- c3- c4+")                      // re-scored: v2 replaces v1
	write("acme", "bot", 2, "1.1", "task", "v2", r11.Add(time.Minute), "c1+ c2- c3+ c4+ c5-") // and on v2
	write("acme", "", 0, "1.1", "safety", "s1", r11, "_+")
	write("globex", "bot", 1, "1.0", "task", "v1", r10, "c9-")                  // another tenant
	write("acme", "bot", 1, "0.9", "task", "v1", now.Add(-48*time.Hour), "c1-") // before the window
	f := TrendFilter{Since: now.Add(-24 * time.Hour), Until: now, Tenant: "acme", Environment: "staging"}

	rates, err := RulePassRates(ctx, rec, f)
	if err != nil {
		t.Fatal(err)
	}
	rec.CheckTake(t, "trend_rule_pass_rates", nil)
	var got []string
	for _, r := range rates {
		got = append(got, fmt.Sprintf("%s %s %s@v%d %s %d/%d", r.RuleID, r.RuleVersion, r.Dataset, r.DatasetVersion, r.Release, r.Passed, r.Total))
	}
	want := []string{"safety s1 @v0 1.1 1/1", "safety s1 bot@v1 1.0 3/4", "task v1 bot@v1 1.0 3/4", "task v2 bot@v1 1.1 2/4", "task v2 bot@v2 1.1 3/5"}
	if !slices.Equal(got, want) {
		t.Errorf("pass rates:\n got %q\nwant %q", got, want)
	}
	if len(rates) > 2 && !rates[2].FirstRun.Equal(r10) {
		t.Errorf("first run of 1.0 = %v, want %v", rates[2].FirstRun, r10)
	}

	cases, err := CaseOutcomes(ctx, rec, f)
	if err != nil {
		t.Fatal(err)
	}
	rec.CheckTake(t, "trend_case_outcomes", nil)
	got = nil
	for _, c := range cases {
		got = append(got, fmt.Sprintf("%s/%s %s %d/%d %v %s", c.Dataset, c.CaseID, c.Release, c.Passed, c.Total, c.FailedRules, c.RunID))
	}
	want = []string{
		"bot/c1 1.0 2/2 [] run-1.0-c1", "bot/c1 1.1 1/1 [] run-1.1-c1",
		"bot/c2 1.0 2/2 [] run-1.0-c2", "bot/c2 1.1 0/1 [task] run-1.1-c2",
		"bot/c3 1.0 1/2 [task] run-1.0-c3", "bot/c3 1.1 1/1 [] run-1.1-c3",
		"bot/c4 1.0 1/2 [safety] run-1.0-c4", "bot/c4 1.1 1/1 [] run-1.1-c4",
		"bot/c5 1.1 0/1 [task] run-1.1-c5",
	}
	if !slices.Equal(got, want) {
		t.Errorf("case outcomes:\n got %q\nwant %q", got, want)
	}

	// One release only.
	f1 := f
	f1.Releases = []string{"1.0"}
	if rates, err = RulePassRates(ctx, rec, f1); err != nil || len(rates) != 2 {
		t.Errorf("release 1.0 only: %+v %v", rates, err)
	}
	rec.CheckTake(t, "trend_rule_pass_rates_release", nil)

	flips, err := Flips(ctx, rec, f, "1.1", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	rec.CheckTake(t, "trend_case_flips", nil)
	wantFlips := []Flip{
		{Dataset: "bot", CaseID: "c2", RuleID: "task", Was: true, Now: false, RunID: "run-1.1-c2", AgainstRunID: "run-1.0-c2"},
		{Dataset: "bot", CaseID: "c3", RuleID: "task", Was: false, Now: true, RunID: "run-1.1-c3", AgainstRunID: "run-1.0-c3"},
	}
	if !reflect.DeepEqual(flips, wantFlips) {
		t.Errorf("flips:\n got %+v\nwant %+v", flips, wantFlips)
	}
	// The other way round, the same pairs flip the other way.
	if back, err := Flips(ctx, rec, f, "1.0", "1.1"); err != nil || len(back) != 2 || back[0].CaseID != "c3" || back[0].Now {
		t.Errorf("1.0 against 1.1: %+v %v", back, err)
	}
	rec.Take()

	for _, bad := range [][2]string{{"1.1", "1.1"}, {"", "1.0"}} {
		if _, err := Flips(ctx, rec, f, bad[0], bad[1]); err == nil {
			t.Errorf("flips of %q against %q: no error", bad[0], bad[1])
		}
	}
	if _, err := RulePassRates(ctx, rec, TrendFilter{Since: now, Until: now}); err == nil || !strings.Contains(err.Error(), "window") {
		t.Errorf("empty window: %v", err)
	}
	if qs := rec.Take(); len(qs) != 0 {
		t.Errorf("refused readers sent %q", qs)
	}

	unused := stmts.Unused()
	for n := range trendStatements {
		if slices.Contains(unused, n) {
			t.Errorf("sql/%s.sql is used by no trend reader this test drives: cover it, or delete it", n)
		}
	}
}
