package evaluators

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
)

// checkRunReaders drives the responder's readers on tenant beta's results
// (TestResultsReadAndWrite calls it, so its statements count as covered):
// a rule scored again counts by its latest result, an error is a failure,
// and the failing-run filter narrows by run context and start.
func checkRunReaders(t *testing.T, ctx context.Context, rec *snapshot.Recorder) {
	t.Helper()
	now := time.Now().UTC()
	res := func(run, rule, version string, passed bool, errText, release string, started time.Time) Result {
		return Result{Dataset: "bot", DatasetVersion: 2, Release: release, RuleID: rule, RuleVersion: version, CaseID: "c-" + run,
			RunID: run, TraceID: "tr-" + run, Tenant: "beta", Environment: "staging", Passed: passed, Score: 0.5, Error: errText,
			Reason: "why " + run, RunTS: started}
	}
	first := []Result{res("b1", "task", "v1", false, "", "1.0", now.Add(-time.Hour)), res("b2", "task", "v2", false, "", "1.0", now.Add(-time.Hour))}
	if err := WriteResults(ctx, rec, first); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // evaluated_at is milliseconds: the re-score is later
	again := []Result{res("b1", "task", "v2", true, "", "1.0", now.Add(-time.Hour)), res("b2", "safety", "s1", true, "timeout", "1.0", now.Add(-time.Hour)),
		res("b3", "task", "v2", false, "", "2.0", now.Add(-3*time.Hour))}
	if err := WriteResults(ctx, rec, again); err != nil {
		t.Fatal(err)
	}
	rec.Take()

	got, err := RunResults(ctx, rec, []events.RunKey{{Tenant: "beta", RunID: "b1"}, {Tenant: "beta", RunID: "b2"}, {Tenant: "acme", RunID: "b1"}})
	if err != nil {
		t.Fatal(err)
	}
	rec.CheckTake(t, "run_results", nil)
	b1, b2 := got[events.RunKey{Tenant: "beta", RunID: "b1"}], got[events.RunKey{Tenant: "beta", RunID: "b2"}]
	if len(got) != 2 || len(b1) != 1 || b1[0].RuleVersion != "v2" || !b1[0].Passed || b1[0].Dataset != "bot" || b1[0].DatasetVersion != 2 {
		t.Errorf("b1 (re-scored with v2) = %+v; all %v", b1, got)
	}
	if len(b2) != 2 || b2[0].RuleID != "safety" || b2[0].Passed || b2[0].Error != "timeout" || b2[1].RuleID != "task" || b2[1].Passed {
		t.Errorf("b2 = %+v", b2)
	}
	if m, err := RunResults(ctx, rec, nil); err != nil || len(m) != 0 {
		t.Errorf("no runs: %v %v", m, err)
	}

	failing := func(f FailingFilter) string {
		t.Helper()
		ks, err := FailingRuns(ctx, rec, f)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(ks)
	}
	for _, tc := range []struct {
		f    FailingFilter
		want string
	}{
		{FailingFilter{Rule: "task", Tenant: "beta"}, "[{beta b2} {beta b3}]"},
		{FailingFilter{Rule: "safety", Tenant: "beta", Environment: "staging", Release: "1.0"}, "[{beta b2}]"},
		{FailingFilter{Rule: "task", Tenant: "beta", Since: now.Add(-2 * time.Hour)}, "[{beta b2}]"},
		{FailingFilter{Rule: "task", Tenant: "beta", Until: now.Add(-2 * time.Hour)}, "[{beta b3}]"},
		{FailingFilter{Rule: "absent"}, "[]"},
	} {
		if got := failing(tc.f); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.f, got, tc.want)
		}
	}
	rec.CheckTake(t, "failing_runs", nil)
	if _, err := FailingRuns(ctx, rec, FailingFilter{}); err == nil {
		t.Error("FailingRuns with no rule: no error")
	}
}
