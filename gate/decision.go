package gate

import (
	"fmt"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/events"
)

// Decision is the gate's answer and its evidence.
type Decision struct {
	Verdict        Verdict         `json:"verdict"`
	ExitCode       int             `json:"exit_code"`
	Reasons        []string        `json:"reasons,omitempty"`
	DecidedAt      time.Time       `json:"decided_at"`
	Commit         string          `json:"commit,omitempty"`
	Owner          string          `json:"owner,omitempty"`
	DecidedBy      string          `json:"decided_by,omitempty"` // the key that asked (Options.DecidedBy)
	Release        string          `json:"release"`
	Dataset        string          `json:"dataset"`
	DatasetName    string          `json:"dataset_name,omitempty"`
	DatasetVersion uint32          `json:"dataset_version,omitempty"`
	DatasetHash    string          `json:"dataset_hash,omitempty"`
	ChangeTypes    []string        `json:"change_types,omitempty"`
	Rules          []RuleRef       `json:"rules,omitempty"`
	Checks         []CheckResult   `json:"checks,omitempty"`
	Cases          CaseCoverage    `json:"cases"`
	Contract       ContractResult  `json:"trace_contract"`
	Baseline       *BaselineResult `json:"baseline,omitempty"`
	FixturesSince  uint32          `json:"fixtures_since_version,omitempty"`
	FixturesAdded  []Fixture       `json:"fixtures_added,omitempty"`
	// Stored says whether the decision is in gate_decisions. One that could
	// not be stored is verdict error (exit 3) whatever its checks say, and
	// StoreError says why.
	Stored     bool   `json:"stored"`
	StoreError string `json:"store_error,omitempty"`
	holds      []string
}

// notStored turns a decision the store refused into an error: gate history
// must hold every decision CI acted on, so none is acted on unrecorded.
func (d *Decision) notStored(err error) {
	was := d.Verdict
	d.Stored, d.StoreError = false, scrub(err.Error())
	d.Verdict, d.ExitCode = VerdictError, ExitCode(VerdictError)
	d.Reasons = append([]string{fmt.Sprintf("decision not stored: the gate evaluated to %s, but gate_decisions refused the decision (%s); a decision gate history does not hold is not acted on", was, d.StoreError)}, d.Reasons...)
}

// evaluated reports whether the checks ran (a decision that was evaluated
// and then not stored has verdict error but carries its evidence).
func (d *Decision) evaluated() bool { return d.Verdict != VerdictError || len(d.Checks) > 0 }

// RuleRef is a rule and the version whose results were read.
type RuleRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// CheckResult is one check's outcome.
type CheckResult struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"` // rule | metric
	RuleVersion string    `json:"rule_version,omitempty"`
	Blocking    bool      `json:"blocking"`
	Status      Verdict   `json:"status"` // pass | fail | warn | hold
	Observed    float64   `json:"observed"`
	Threshold   float64   `json:"threshold"`
	Total       int       `json:"total,omitempty"`
	Failures    int       `json:"failures,omitempty"`
	Message     string    `json:"message"`
	WorstCases  []CaseRef `json:"worst_cases,omitempty"`
}

// CaseRef points at one failing case.
type CaseRef struct {
	CaseID  string  `json:"case_id"`
	RunID   string  `json:"run_id"`
	TraceID string  `json:"trace_id"`
	Score   float64 `json:"score"`
	Why     string  `json:"why"`
}

// CaseCoverage says how many of the dataset's cases were scored.
type CaseCoverage struct {
	Expected     int      `json:"expected"`
	Scored       int      `json:"scored"`
	MissingCount int      `json:"missing_count"`
	Missing      []string `json:"missing,omitempty"`
}

// ContractResult is the trace contract over the evaluated runs.
type ContractResult struct {
	Result     Verdict              `json:"result"`
	Violations int                  `json:"violations"`
	ByField    []events.ContractGap `json:"by_field,omitempty"`
}

func (c ContractResult) describe() string {
	parts := make([]string, 0, len(c.ByField))
	for _, g := range c.ByField {
		what := "lack " + g.Field
		if f, ok := strings.CutSuffix(g.Field, ":invalid"); ok {
			what = "have an invalid " + f
		}
		parts = append(parts, fmt.Sprintf("%d %s events %s", g.Events, g.Kind, what))
	}
	return strings.Join(parts, ", ")
}

// BaselineResult compares rule pass rates with a baseline release.
type BaselineResult struct {
	Release string  `json:"release"`
	MaxDrop float64 `json:"max_drop"`
	Status  Verdict `json:"status"`
	Deltas  []Delta `json:"deltas,omitempty"`
}

// Delta is one rule's pass rate against the baseline's.
type Delta struct {
	Rule     string  `json:"rule"`
	Current  float64 `json:"current"`
	Baseline float64 `json:"baseline"`
	Change   float64 `json:"change"`
	Breached bool    `json:"breached"`
}
