package releases_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
	"github.com/evalhouse/evalhouse/releases"
)

func pct(p float64) *float64 { return &p }

// TestSnapshots records the statements on release_stages that Record and
// Log send, compares them with testdata/snapshots/*.sql (go test -update
// rewrites them) while they run on the real engine, and fails when a file
// of sql/ was sent by none. The events' and the gate's statements are
// theirs to snapshot.
func TestSnapshots(t *testing.T) {
	s := migrated(t)
	traffic(t, s)
	ctx := context.Background()
	rec := snapshot.Record(s.Conn)
	mine := func(q string) bool { return strings.Contains(q, "release_stages") }
	if _, err := releases.Record(ctx, rec, releases.Transition{Release: "4.0", Stage: "staging", Environment: "staging", Owner: "o", RollbackOwner: "p"}); err != nil {
		t.Fatal(err)
	}
	rec.CheckTake(t, "record", mine)
	if log, err := releases.Log(ctx, rec, "4.0"); err != nil || len(log) != 1 {
		t.Fatalf("log = %+v, %v", log, err)
	}
	rec.CheckTake(t, "log", mine)
	if unused := releases.Unused(); len(unused) > 0 {
		t.Errorf("sql/ files no test sent: %v", unused)
	}
}

// The stage log keeps each transition — stage, environment, cohort,
// owners, note, who recorded it — in the order recorded, with the release
// record of its environment at that moment; free texts are redacted.
func TestLogListsTransitionsInOrder(t *testing.T) {
	s := migrated(t)
	traffic(t, s)
	ctx := context.Background()
	secret := "N5VqXhc3ivRIAVF4jCDMi9xE"
	for _, tr := range []releases.Transition{
		{Release: "4.0", Stage: "staging", Environment: "staging", Owner: "ana", RollbackOwner: "bo", RecordedBy: "ci"},
		{Release: "4.0", Stage: "cohort", Environment: "production", Cohort: releases.Cohort{Tenants: []string{"acme", " acme", "globex"}},
			Owner: "ana", RollbackOwner: "bo", Note: "rollback with STRIPE_KEY=" + secret, RecordedBy: "ci"},
		{Release: "4.0", Stage: "expanded", Environment: "production", Cohort: releases.Cohort{Percent: pct(25)}, Owner: "ana", RollbackOwner: "cy"},
		{Release: "3.9", Stage: "full", Owner: "x", RollbackOwner: "y"},
	} {
		got, err := releases.Record(ctx, s.Conn, tr)
		if err != nil {
			t.Fatalf("%s: %v", tr.Stage, err)
		}
		if got.Evidence == nil || got.RecordedAt.IsZero() {
			t.Errorf("%s: recorded %+v", tr.Stage, got)
		}
	}
	log, err := releases.Log(ctx, s.Conn, "4.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 3 {
		t.Fatalf("log = %+v, want staging, cohort, expanded", log)
	}
	stg, coh, exp := log[0], log[1], log[2]
	if stg.Stage != "staging" || coh.Stage != "cohort" || exp.Stage != "expanded" || coh.RecordedAt.Before(stg.RecordedAt) || exp.RecordedAt.Before(coh.RecordedAt) {
		t.Errorf("order: %s %s %s", stg.Stage, coh.Stage, exp.Stage)
	}
	if stg.Environment != "staging" || stg.Owner != "ana" || stg.RollbackOwner != "bo" || stg.RecordedBy != "ci" || stg.Cohort.String() != "all" {
		t.Errorf("staging = %+v", stg)
	}
	if strings.Join(coh.Cohort.Tenants, ",") != "acme,globex" || coh.Cohort.Percent != nil || strings.Contains(coh.Note, secret) ||
		!strings.Contains(coh.Note, "[REDACTED:credential]") {
		t.Errorf("cohort = %+v", coh)
	}
	if exp.Cohort.Percent == nil || *exp.Cohort.Percent != 25 || exp.Cohort.String() != "25%" || exp.RollbackOwner != "cy" {
		t.Errorf("expanded = %+v", exp)
	}
	// Each transition's evidence is its environment's record at the time.
	if e := stg.Evidence; e.Environment != "staging" || names(e.Models) != "m1:1" || e.Export.Events != 2 {
		t.Errorf("staging evidence = %+v", e)
	}
	if e := coh.Evidence; e.Environment != "production" || names(e.Models) != "m1:1 m2:1" || len(e.Tools) != 2 || len(e.Seen) != 2 || len(e.Datasets) != 1 {
		t.Errorf("cohort evidence = %+v", e)
	}
	var raw string
	if err := s.Conn.QueryRow(ctx, "SELECT note FROM release_stages WHERE stage = 'cohort'").Scan(&raw); err != nil || strings.Contains(raw, secret) {
		t.Errorf("stored note %q, %v", raw, err)
	}
	// Show: the record now, and every environment's stages.
	show, err := releases.Show(ctx, s.Conn, "4.0", "production")
	if err != nil || show.Record.Environment != "production" || len(show.Stages) != 3 || !show.Known() {
		t.Errorf("show = %+v, %v", show, err)
	}
	if empty, err := releases.Log(ctx, s.Conn, "9.9"); err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("log of a release without stages = %#v, %v", empty, err)
	}
	if show, err := releases.Show(ctx, s.Conn, "9.9", ""); err != nil || show.Known() {
		t.Errorf("show of an unknown release = %+v, %v", show, err)
	}
}

// A stage transition may come before traffic: a release without events is
// recorded, its evidence warns.
func TestRecordWithoutEventsWarns(t *testing.T) {
	s := migrated(t)
	got, err := releases.Record(context.Background(), s.Conn, releases.Transition{Release: "5.0", Stage: "local", Owner: "o", RollbackOwner: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Evidence.Warnings) != 1 || !strings.Contains(got.Evidence.Warnings[0], "no events of release 5.0") {
		t.Errorf("warnings = %v", got.Evidence.Warnings)
	}
	if log, err := releases.Log(context.Background(), s.Conn, "5.0"); err != nil || len(log) != 1 || len(log[0].Evidence.Warnings) != 1 {
		t.Errorf("log = %+v, %v", log, err)
	}
}

// Refused: a stage not in the list (the list named), a bad list, a cohort
// of both kinds or a percentage outside 0–100, a missing owner, rollback
// owner or release. A rollout's own names are accepted.
func TestRecordRefuses(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	ok := releases.Transition{Release: "4.0", Stage: "cohort", Owner: "o", RollbackOwner: "p"}
	for _, c := range []struct {
		name  string
		edit  func(*releases.Transition)
		field string
		want  string
	}{
		{"unknown stage", func(t *releases.Transition) { t.Stage = "canary" }, "stage", "not one of the stages (local, staging, internal, cohort, expanded, full)"},
		{"no stage", func(t *releases.Transition) { t.Stage = "" }, "stage", "required: one of local"},
		{"stage not in a custom list", func(t *releases.Transition) { t.Stages = []string{"local", "canary", "full"} }, "stage", "(local, canary, full)"},
		{"bad list", func(t *releases.Transition) { t.Stage, t.Stages = "Canary", []string{"Canary"} }, "stages", "lower-case"},
		{"list with a name twice", func(t *releases.Transition) { t.Stage, t.Stages = "a", []string{"a", "a"} }, "stages", "named twice"},
		{"both cohorts", func(t *releases.Transition) { t.Cohort = releases.Cohort{Tenants: []string{"acme"}, Percent: pct(5)} }, "cohort", "not both"},
		{"percent above 100", func(t *releases.Transition) { t.Cohort.Percent = pct(101) }, "cohort.percent", "from 0 to 100"},
		{"negative percent", func(t *releases.Transition) { t.Cohort.Percent = pct(-1) }, "cohort.percent", "from 0 to 100"},
		{"NaN percent", func(t *releases.Transition) { t.Cohort.Percent = pct(math.NaN()) }, "cohort.percent", "from 0 to 100"},
		{"empty tenant", func(t *releases.Transition) { t.Cohort.Tenants = []string{"acme", " "} }, "cohort.tenants", "empty"},
		{"no owner", func(t *releases.Transition) { t.Owner = " " }, "owner", "required"},
		{"no rollback owner", func(t *releases.Transition) { t.RollbackOwner = "" }, "rollback_owner", "required"},
		{"no release", func(t *releases.Transition) { t.Release = "" }, "release", "required"},
		{"a note too long", func(t *releases.Transition) { t.Note = strings.Repeat("x", 5000) }, "note", "longer than"},
	} {
		tr := ok
		c.edit(&tr)
		_, err := releases.Record(ctx, s.Conn, tr)
		var fe *releases.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want a FieldError on %s saying %q", c.name, err, c.field, c.want)
		}
	}
	tr := ok
	tr.Stage, tr.Stages, tr.Cohort.Percent = "canary", []string{"local", "staging", "canary", "full"}, pct(5)
	if got, err := releases.Record(ctx, s.Conn, tr); err != nil || got.Stage != "canary" {
		t.Errorf("canary in a custom list: %+v, %v", got, err)
	}
	var n uint64
	if err := s.Conn.QueryRow(ctx, "SELECT count() FROM release_stages").Scan(&n); err != nil || n != 1 {
		t.Errorf("release_stages holds %d rows, %v; want the one accepted", n, err)
	}
}

func TestParseStages(t *testing.T) {
	if got, err := releases.ParseStages(" local, staging,canary ,full,"); err != nil || strings.Join(got, "|") != "local|staging|canary|full" {
		t.Errorf("ParseStages = %v, %v", got, err)
	}
	for _, bad := range []string{"", " , ", "a,A", "a,a", "a b"} {
		if _, err := releases.ParseStages(bad); err == nil {
			t.Errorf("ParseStages(%q) accepted", bad)
		}
	}
	if err := releases.CheckStage("cohort", nil); err != nil {
		t.Errorf("cohort in the defaults: %v", err)
	}
}
