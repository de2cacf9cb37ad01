package releases

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/internal/chsql"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var stmts = chsql.Load("releases", sqlFS)

// Release is what Show answers (and GET /v1/releases/R): the release
// record now, and the stage log.
type Release struct {
	Record *Snapshot `json:"record"`
	Stages []Stage   `json:"stages"`
	// Decisions are the release's latest stage gate decisions, newest
	// first, when the caller asked for them (Handler's Decisions).
	Decisions []Decision `json:"stage_decisions,omitempty"`
}

// Decision is one stage gate decision as the release record lists it; the
// whole evidence is the stage gate's (rollout.Get by DecisionID).
type Decision struct {
	DecisionID string    `json:"decision_id"`
	DecidedAt  time.Time `json:"decided_at"`
	Stage      string    `json:"stage"`
	Baseline   string    `json:"baseline,omitempty"`
	Verdict    string    `json:"verdict"`
	ExitCode   int       `json:"exit_code"`
	Runs       int       `json:"runs"`
	Reasons    []string  `json:"reasons,omitempty"`
}

// Show reads the release record of release (in environment, "" for
// every one) and its stage log, every environment's.
func Show(ctx context.Context, conn driver.Conn, release, environment string) (*Release, error) {
	rec, err := Read(ctx, conn, release, environment)
	if err != nil {
		return nil, err
	}
	log, err := Log(ctx, conn, release)
	if err != nil {
		return nil, err
	}
	return &Release{Record: rec, Stages: log}, nil
}

// Cohort is who a stage reaches: some tenants, or a percentage of the
// traffic; neither is the stage's whole environment.
type Cohort struct {
	Tenants []string `json:"tenants,omitempty"`
	Percent *float64 `json:"percent,omitempty"`
}

// String is the cohort as the stage log prints it.
func (c Cohort) String() string {
	switch {
	case len(c.Tenants) > 0:
		return "tenants " + strings.Join(c.Tenants, ",")
	case c.Percent != nil:
		return strconv.FormatFloat(*c.Percent, 'f', -1, 64) + "%"
	}
	return "all"
}

// Transition is a stage transition to record.
type Transition struct {
	Release string
	// Stage is the stage entered: one of Stages (DefaultStages when nil).
	Stage  string
	Stages []string
	// Environment is where the stage runs ("production", "staging"); the
	// evidence is the release record in it ("" for every environment).
	Environment string
	Cohort      Cohort
	// Owner owns the stage; RollbackOwner rolls it back. Both required.
	Owner, RollbackOwner string
	Note                 string
	// RecordedBy is who recorded it (a user, a key's name).
	RecordedBy string
}

// Stage is a recorded stage transition, as the stage log lists it. Its
// texts are redacted; Evidence is the release record when it was
// recorded.
type Stage struct {
	Release       string    `json:"release"`
	Stage         string    `json:"stage"`
	Environment   string    `json:"environment,omitempty"`
	Cohort        Cohort    `json:"cohort"`
	Owner         string    `json:"owner"`
	RollbackOwner string    `json:"rollback_owner"`
	Note          string    `json:"note,omitempty"`
	RecordedBy    string    `json:"recorded_by,omitempty"`
	RecordedAt    time.Time `json:"recorded_at"`
	Evidence      *Snapshot `json:"evidence"`
}

// maxText bounds each free text a transition stores.
const maxText = 4096

// check validates t and returns its stored form: texts trimmed and
// redacted, tenants de-duplicated.
func (t Transition) check() (Stage, error) {
	st := Stage{Release: strings.TrimSpace(t.Release), Stage: strings.TrimSpace(t.Stage), Environment: strings.TrimSpace(t.Environment),
		Owner: strings.TrimSpace(t.Owner), RollbackOwner: strings.TrimSpace(t.RollbackOwner), Note: strings.TrimSpace(t.Note),
		RecordedBy: strings.TrimSpace(t.RecordedBy)}
	if st.Release == "" {
		return st, &FieldError{Field: "release", Problem: "required"}
	}
	if err := CheckStage(st.Stage, t.Stages); err != nil {
		return st, err
	}
	for _, f := range []struct{ name, v string }{{"owner", st.Owner}, {"rollback_owner", st.RollbackOwner}} {
		if f.v == "" {
			return st, &FieldError{Field: f.name, Problem: "required: who owns the stage, and who rolls it back"}
		}
	}
	for _, f := range []struct{ name, v string }{{"release", st.Release}, {"environment", st.Environment}, {"owner", st.Owner},
		{"rollback_owner", st.RollbackOwner}, {"note", st.Note}, {"recorded_by", st.RecordedBy}} {
		if len(f.v) > maxText {
			return st, &FieldError{Field: f.name, Problem: fmt.Sprintf("longer than %d bytes", maxText)}
		}
	}
	c := t.Cohort
	if len(c.Tenants) > 0 && c.Percent != nil {
		return st, &FieldError{Field: "cohort", Problem: "name tenants or a percentage, not both"}
	}
	if p := c.Percent; p != nil {
		if math.IsNaN(*p) || *p < 0 || *p > 100 {
			return st, &FieldError{Field: "cohort.percent", Value: strconv.FormatFloat(*p, 'g', -1, 64), Problem: "a percentage of traffic, from 0 to 100"}
		}
		v := *p
		st.Cohort.Percent = &v
	}
	for _, tn := range c.Tenants {
		if tn = strings.TrimSpace(tn); tn == "" {
			return st, &FieldError{Field: "cohort.tenants", Problem: "an empty tenant name"}
		}
		if tn = scrub(tn); !slices.Contains(st.Cohort.Tenants, tn) {
			st.Cohort.Tenants = append(st.Cohort.Tenants, tn)
		}
	}
	st.Release, st.Environment, st.Owner, st.RollbackOwner = scrub(st.Release), scrub(st.Environment), scrub(st.Owner), scrub(st.RollbackOwner)
	st.Note, st.RecordedBy = scrub(st.Note), scrub(st.RecordedBy)
	return st, nil
}

// Record stores a stage transition in release_stages with the release
// record at this moment as its evidence (Read, in t's environment), and
// returns it as stored. A stage transition may come before any traffic
// (staging before the first run): a release with no events is recorded,
// and the evidence says so in its warnings. A stage not in t.Stages, a
// cohort naming both tenants and a percentage or a percentage outside
// 0–100, and a missing owner or rollback owner are FieldErrors.
func Record(ctx context.Context, conn driver.Conn, t Transition) (*Stage, error) {
	st, err := t.check()
	if err != nil {
		return nil, err
	}
	if st.Evidence, err = Read(ctx, conn, st.Release, st.Environment); err != nil {
		return nil, err
	}
	st.RecordedAt = st.Evidence.TakenAt
	ev, err := json.Marshal(st.Evidence)
	if err != nil {
		return nil, fmt.Errorf("releases: record stage %s of %s: %w", st.Stage, st.Release, err)
	}
	tenants := st.Cohort.Tenants
	if tenants == nil {
		tenants = []string{}
	}
	b, err := conn.PrepareBatch(ctx, stmts.Get("insert_stage"))
	if err != nil {
		return nil, fmt.Errorf("releases: record stage %s of %s: %w", st.Stage, st.Release, err)
	}
	if err := b.Append(st.Release, st.RecordedAt, chsql.Seq(), st.Stage, st.Environment, tenants, st.Cohort.Percent,
		st.Owner, st.RollbackOwner, st.Note, st.RecordedBy, string(ev)); err != nil {
		b.Abort()
		return nil, fmt.Errorf("releases: record stage %s of %s: %w", st.Stage, st.Release, err)
	}
	if err := b.Send(); err != nil {
		return nil, fmt.Errorf("releases: record stage %s of %s: %w", st.Stage, st.Release, err)
	}
	return &st, nil
}

// Log lists the release's stage transitions in the order they were
// recorded (none when it has none).
func Log(ctx context.Context, conn driver.Conn, release string) ([]Stage, error) {
	rel := scrub(strings.TrimSpace(release))
	if rel == "" {
		return nil, &FieldError{Field: "release", Problem: "required"}
	}
	rows, err := conn.Query(ctx, stmts.Get("stage_log"), clickhouse.Named("release", rel))
	if err != nil {
		return nil, fmt.Errorf("releases: stage log of %s: %w", rel, err)
	}
	defer rows.Close()
	out := []Stage{}
	for rows.Next() {
		st := Stage{Release: rel}
		var ev string
		if err := rows.Scan(&st.RecordedAt, &st.Stage, &st.Environment, &st.Cohort.Tenants, &st.Cohort.Percent,
			&st.Owner, &st.RollbackOwner, &st.Note, &st.RecordedBy, &ev); err != nil {
			return nil, fmt.Errorf("releases: stage log of %s: %w", rel, err)
		}
		st.RecordedAt = st.RecordedAt.UTC()
		if len(st.Cohort.Tenants) == 0 {
			st.Cohort.Tenants = nil
		}
		st.Evidence = &Snapshot{}
		if err := json.Unmarshal([]byte(ev), st.Evidence); err != nil {
			return nil, fmt.Errorf("releases: stage log of %s: the evidence of stage %s at %s: %w", rel, st.Stage, st.RecordedAt.Format(time.RFC3339), err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("releases: stage log of %s: %w", rel, err)
	}
	return out, nil
}
