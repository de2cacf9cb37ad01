package rollout

import (
	"time"

	"github.com/evalhouse/evalhouse/events"
)

// Verdict is a stage gate's answer.
type Verdict string

// The verdicts, in the order of our design's decision flow: a blocking
// check breached rolls back; else incomplete evidence holds; else a
// warning breached narrows; else the stage expands.
const (
	Rollback     Verdict = "rollback" // 1: a blocking check breached; Disable names what
	Hold         Verdict = "hold"     // 2: too few runs, missing kinds, an export gap, a check without samples
	Narrow       Verdict = "narrow"   // 4: a warning check breached: narrow the capability or the cohort, or approve
	Expand       Verdict = "expand"   // 0: every check met on complete evidence
	VerdictError Verdict = "error"    // 3: invalid config, rules that don't compile, store down, not recorded
)

// ExitCode maps a verdict to the process exit code deploy tools act on.
func ExitCode(v Verdict) int {
	switch v {
	case Expand:
		return 0
	case Rollback:
		return 1
	case Hold:
		return 2
	case Narrow:
		return 4
	}
	return 3
}

// Decision is a stage gate's answer and its evidence.
type Decision struct {
	DecisionID    string    `json:"decision_id"`
	Verdict       Verdict   `json:"verdict"`
	ExitCode      int       `json:"exit_code"`
	Reasons       []string  `json:"reasons,omitempty"`
	DecidedAt     time.Time `json:"decided_at"`
	DecidedBy     string    `json:"decided_by,omitempty"`
	Commit        string    `json:"commit,omitempty"`
	Owner         string    `json:"owner,omitempty"`
	RollbackOwner string    `json:"rollback_owner,omitempty"`
	Stage         string    `json:"stage"`
	Stages        []string  `json:"stages"`
	Release       string    `json:"release"`
	Baseline      string    `json:"baseline,omitempty"`
	// BaselineTenants are the baseline's tenants read (baseline.tenants);
	// none: all of them.
	BaselineTenants []string `json:"baseline_tenants,omitempty"`
	Environment     string   `json:"environment"`
	Window          Window   `json:"window"`
	Cohort          Cohort   `json:"cohort"`
	Samples         Samples  `json:"samples"`
	// Record is what the release ran with (releases.Show) when decided.
	Record  any           `json:"release_record,omitempty"`
	Checks  []CheckResult `json:"checks"`
	Disable []Capability  `json:"disable,omitempty"`
	// FailingRuns are the runs behind the breached blocking checks, worst
	// first: what `incident open --from-gate` opens an incident on.
	FailingRuns []RunRef `json:"failing_runs,omitempty"`
	Stored      bool     `json:"stored"`
	StoreError  string   `json:"store_error,omitempty"`
}

// Window is the span the runs started in.
type Window struct {
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	Duration string    `json:"duration"`
}

// Samples are the sizes the checks rest on.
type Samples struct {
	Runs         int `json:"runs"`
	BaselineRuns int `json:"baseline_runs"`
	MinRuns      int `json:"min_runs"`
	// Kinds the release's runs showed; MissingKinds of RequireKinds they
	// did not.
	Kinds        []string  `json:"kinds"`
	MissingKinds []string  `json:"missing_kinds,omitempty"`
	LastEvent    time.Time `json:"last_event,omitzero"`
	// ContractViolations counts the trace-contract violations of the
	// release's runs' events (the contract_violations metric checks them).
	ContractViolations uint64 `json:"contract_violations"`
	// ScoredByGate counts the rule results the gate scored itself (no
	// stored result of `eval --environment`); Stored the ones it read.
	ScoredByGate int `json:"scored_by_gate,omitempty"`
	StoredScores int `json:"stored_scores,omitempty"`
}

// Check statuses.
const (
	StatusPass   = "pass"
	StatusBreach = "breach"
	StatusHold   = "hold"
)

// CheckResult is one check's outcome: its absolute part (Observed against
// Threshold) and its comparison with the baseline (Change against
// Margin, by Test).
type CheckResult struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"` // metric | rule
	Severity string `json:"severity"`
	Status   string `json:"status"` // pass | breach | hold
	// Observed is the release's value; BaselineValue the baseline's.
	Observed      float64  `json:"observed"`
	BaselineValue *float64 `json:"baseline_value,omitempty"`
	// Threshold is the absolute bound (max, min, min_pass_rate), Bound
	// which one.
	Threshold *float64 `json:"threshold,omitempty"`
	Bound     string   `json:"bound,omitempty"`
	// Change is Observed less the baseline's (a ratio less 1 for per-run
	// values), Margin what the check allows.
	Change   *float64    `json:"change,omitempty"`
	Margin   *float64    `json:"margin,omitempty"`
	N        int         `json:"n"` // the release's samples (runs, decisions, retrievals, events)
	Test     *Test       `json:"test,omitempty"`
	Message  string      `json:"message"`
	Disable  *Capability `json:"disable,omitempty"`
	failRuns []RunRef
}

// Capability is what a rollback disables: a tool, model, prompt version,
// policy version or memory writes, with why.
type Capability struct {
	Kind  string `json:"kind"` // tool | model | prompt | policy | memory | retrieval | rule
	Name  string `json:"name"`
	Why   string `json:"why"`
	Check string `json:"check"`
}

// RunRef is one failing run.
type RunRef struct {
	Tenant  string  `json:"tenant"`
	RunID   string  `json:"run_id"`
	TraceID string  `json:"trace_id"`
	Check   string  `json:"check"`
	Value   float64 `json:"value"` // what made it fail: its cost, duration, score, …
}

func key(r events.RunSample) events.RunKey { return events.RunKey{Tenant: r.Tenant, RunID: r.RunID} }
