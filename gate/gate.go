package gate

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/datasets/dsref"
	"github.com/evalhouse/evalhouse/evaluators"
)

// Verdict is the gate's answer (Pass, Fail, Hold, VerdictError), and the
// status of one piece of its evidence (a check, the trace contract, the
// baseline), which may also be Warn.
type Verdict string

// Verdicts and their exit codes.
const (
	Pass Verdict = "pass" // 0: every blocking check met on complete evidence
	Fail Verdict = "fail" // 1: a blocking check breached
	Hold Verdict = "hold" // 2: evidence incomplete
	// VerdictError (3) means the gate could not be evaluated, or its
	// decision not stored. It is a verdict, not a Go error.
	VerdictError Verdict = "error"
	// Warn is a check's status when a non-blocking check is breached; it is
	// never a decision's verdict.
	Warn Verdict = "warn"
)

// ExitCode maps a verdict to the process exit code CI sees.
func ExitCode(verdict Verdict) int {
	switch verdict {
	case Pass:
		return 0
	case Fail:
		return 1
	case Hold:
		return 2
	}
	return 3
}

// Dataset is the resolved dataset version the gate judges on.
type Dataset struct {
	Name    string
	Version uint32
	Hash    string
	CaseIDs []string
	// Fixtures are the version's cases promoted from incidents.
	Fixtures []Fixture
}

// Ref is "name@vN".
func (d Dataset) Ref() string { return dsref.Format(d.Name, d.Version) }

// Fixture is a case promoted from an incident.
type Fixture struct {
	CaseID   string `json:"case_id"`
	Incident string `json:"incident"`
	TraceID  string `json:"trace_id"`
	AddedIn  uint32 `json:"added_in_version"`
}

// Rule is what the gate knows of a rule from the rules directory.
type Rule struct {
	ID, Version, Severity string
	AppliesTo             []string
}

// Inputs are what the caller resolved before the gate runs.
type Inputs struct {
	Dataset Dataset
	// Rules by id, from the rules directory. Checks naming a rule not here
	// are an error; results of other rule versions are not counted.
	Rules map[string]Rule
	// FixturesSince lists fixtures added after this dataset version (0: the previous one).
	FixturesSince uint32
}

// Options come from the command line and override the config.
type Options struct {
	Release     string   // overrides config release
	Baseline    string   // overrides baseline.release
	ChangeTypes []string // only these change types' rules block
	Commit      string
	Owner       string
	// DecidedBy names who asked for the decision, for the evidence: the
	// key a POST /v1/gates came with ("key NAME"). The commit and owner
	// are the caller's claims; this is what the server checked.
	DecidedBy string
	Now       func() time.Time
	// OptionName spells an option's key (release, change_type) as the
	// caller's user sets it, for messages: the CLI passes its flags. Nil
	// (or ""): the key itself, as POST /v1/gates takes it.
	OptionName func(key string) string
}

// optionName is key as the caller's user spells it (Options.OptionName).
func (o Options) optionName(key string) string {
	if o.OptionName != nil {
		if n := o.OptionName(key); n != "" {
			return n
		}
	}
	return key
}

// Evaluate runs the gate on the evidence ev reads (StoreEvidence for the
// store). A returned error means reading the evidence failed; every other
// problem is in the Decision (verdict error or hold) with its reason.
// Every text of the decision is redacted (see Decision.redact).
func Evaluate(ctx context.Context, ev Evidence, cfg *Config, in Inputs, opts Options) (*Decision, error) {
	d, err := evaluate(ctx, ev, cfg, in, opts)
	if d != nil {
		d.redact()
	}
	return d, err
}

func evaluate(ctx context.Context, ev Evidence, cfg *Config, in Inputs, opts Options) (*Decision, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	d := &Decision{
		DecidedAt: now().UTC().Truncate(time.Millisecond), Commit: opts.Commit, Owner: firstNonEmpty(opts.Owner, cfg.Owner), DecidedBy: opts.DecidedBy,
		Release: firstNonEmpty(opts.Release, cfg.Release), Dataset: in.Dataset.Ref(), DatasetName: in.Dataset.Name,
		DatasetVersion: in.Dataset.Version, DatasetHash: in.Dataset.Hash, ChangeTypes: opts.ChangeTypes,
	}
	if d.Release == "" {
		return d.errorf("no release: set release in the gate config or pass %s", opts.optionName("release")), nil
	}
	for _, ct := range opts.ChangeTypes {
		if !slices.Contains(ChangeTypes, ct) {
			return d.errorf("%s %q: unknown (known: %s)", opts.optionName("change_type"), ct, strings.Join(ChangeTypes, ", ")), nil
		}
		// An unmapped kind of change must not quietly make every rule a
		// warning: it is an error unless the config says what blocks for it.
		if _, ok := cfg.ChangeTypes[ct]; !ok {
			if _, def := cfg.ChangeTypes[DefaultChangeType]; !def {
				return d.errorf("%s %s: change_types does not map it (%s); add change_types.%s, or change_types.%s for every kind of change not listed",
					opts.optionName("change_type"), ct, mappedList(cfg.ChangeTypes), ct, DefaultChangeType), nil
			}
		}
	}
	for _, ch := range cfg.Checks {
		if ch.Rule != "" {
			if _, ok := in.Rules[ch.Rule]; !ok {
				return d.errorf("check %q names rule %q, which is not in the rules directory", ch.Name(), ch.Rule), nil
			}
		}
	}
	ids := make([]string, 0, len(in.Rules))
	for id := range in.Rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		d.Rules = append(d.Rules, RuleRef{ID: id, Version: in.Rules[id].Version})
	}

	cur, err := loadResults(ctx, ev, in, d.Release)
	if err != nil {
		return nil, err
	}
	metrics, contract, err := loadRunMetrics(ctx, ev, in.Dataset.Ref(), d.Release)
	if err != nil {
		return nil, err
	}
	d.Contract = contract

	// Evidence completeness.
	d.Cases = CaseCoverage{Expected: len(in.Dataset.CaseIDs), Scored: len(cur.Scored)}
	for _, id := range in.Dataset.CaseIDs {
		if !cur.Scored[id] {
			d.Cases.MissingCount++
			if len(d.Cases.Missing) < 20 {
				d.Cases.Missing = append(d.Cases.Missing, id)
			}
		}
	}
	if d.Cases.MissingCount > 0 {
		d.hold("%d of %d dataset cases have no scored run for release %s (e.g. %s)",
			d.Cases.MissingCount, d.Cases.Expected, d.Release, strings.Join(d.Cases.Missing[:min(3, len(d.Cases.Missing))], ", "))
	}
	if d.Cases.Scored < cfg.MinCases {
		d.hold("%d scored cases, fewer than min_cases %d", d.Cases.Scored, cfg.MinCases)
	}
	if d.Contract.Violations > 0 {
		d.Contract.Result = Hold
		d.hold("trace contract: %s", d.Contract.describe())
	} else {
		d.Contract.Result = Pass
	}

	blocking := blockingRules(cfg, opts.ChangeTypes)
	for _, ch := range cfg.Checks {
		d.Checks = append(d.Checks, evalCheck(ch, in, cur, metrics, blocking))
	}
	if cfg.Baseline != nil || opts.Baseline != "" {
		if err := d.compareBaseline(ctx, ev, cfg, in, opts, cur); err != nil {
			return nil, err
		}
	}
	since := in.FixturesSince
	if since == 0 && in.Dataset.Version > 0 {
		since = in.Dataset.Version - 1
	}
	d.FixturesSince = since
	for _, f := range in.Dataset.Fixtures {
		if f.AddedIn > since {
			d.FixturesAdded = append(d.FixturesAdded, f)
		}
	}
	d.settle()
	return d, nil
}

// blockingRules says which rules block: all, or with --change-type only
// those the config maps the listed change types to (change_types.default
// for a type it does not list; "*" is every rule). nil means all.
func blockingRules(cfg *Config, types []string) map[string]bool {
	if len(types) == 0 {
		return nil
	}
	out := map[string]bool{}
	for _, t := range types {
		rules, ok := cfg.ChangeTypes[t]
		if !ok {
			rules = cfg.ChangeTypes[DefaultChangeType]
		}
		for _, r := range rules {
			if r == AllRules {
				return nil
			}
			out[r] = true
		}
	}
	return out
}

// mappedList names the change types a config maps, for messages.
func mappedList(m map[string][]string) string {
	if len(m) == 0 {
		return "the config has no change_types"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "it maps " + strings.Join(keys, ", ")
}

func evalCheck(ch Check, in Inputs, cur *evaluators.Results, m runMetrics, blocking map[string]bool) CheckResult {
	cr := CheckResult{Name: ch.Name(), Blocking: true}
	if ch.Metric != "" {
		cr.Kind = "metric"
		v, ok := m.value(ch.Metric)
		cr.Observed = v
		switch {
		case !ok:
			cr.Status, cr.Message = Hold, "no runs to measure "+ch.Metric+" on"
		case ch.Max != nil && v > *ch.Max:
			cr.Status, cr.Threshold, cr.Message = Fail, *ch.Max, fmt.Sprintf("%s = %.6g, above max %.6g", ch.Metric, v, *ch.Max)
		case ch.Min != nil && v < *ch.Min:
			cr.Status, cr.Threshold, cr.Message = Fail, *ch.Min, fmt.Sprintf("%s = %.6g, below min %.6g", ch.Metric, v, *ch.Min)
		default:
			cr.Status, cr.Message = Pass, fmt.Sprintf("%s = %.6g", ch.Metric, v)
			if ch.Max != nil {
				cr.Threshold = *ch.Max
			} else {
				cr.Threshold = *ch.Min
			}
		}
		return cr
	}
	cr.Kind = "rule"
	rule := in.Rules[ch.Rule]
	cr.RuleVersion = rule.Version
	if rule.Severity == "warning" || (blocking != nil && !blocking[ch.Rule]) {
		cr.Blocking = false
	}
	agg, ok := cur.ByRule[ch.Rule]
	if !ok || agg.Total == 0 {
		cr.Status = Hold
		cr.Message = fmt.Sprintf("rule %s (version %s) has no results for this release and dataset version: run `evalhouse eval` first", ch.Rule, rule.Version)
		return cr
	}
	cr.Total, cr.Failures = agg.Total, agg.Total-agg.Passed
	cr.Observed = float64(agg.Passed) / float64(agg.Total)
	cr.WorstCases = caseRefs(agg.Worst)
	breached := []string{}
	if ch.MinPassRate != nil {
		cr.Threshold = *ch.MinPassRate
		if cr.Observed < *ch.MinPassRate {
			breached = append(breached, fmt.Sprintf("pass rate %.3f below %.3f", cr.Observed, *ch.MinPassRate))
		}
	}
	if ch.MaxFailures != nil {
		if ch.MinPassRate == nil {
			cr.Threshold = float64(*ch.MaxFailures)
		}
		if cr.Failures > *ch.MaxFailures {
			breached = append(breached, fmt.Sprintf("%d failures, more than %d allowed", cr.Failures, *ch.MaxFailures))
		}
	}
	cr.Message = fmt.Sprintf("%d of %d passed", agg.Passed, agg.Total)
	if len(breached) == 0 {
		cr.Status = Pass
		return cr
	}
	cr.Message += ": " + strings.Join(breached, "; ")
	cr.Status = Fail
	if !cr.Blocking {
		cr.Status = Warn
	}
	return cr
}

func (d *Decision) compareBaseline(ctx context.Context, ev Evidence, cfg *Config, in Inputs, opts Options, cur *evaluators.Results) error {
	b := &BaselineResult{Release: opts.Baseline}
	maxDrop := 0.0
	if cfg.Baseline != nil {
		if b.Release == "" {
			b.Release = cfg.Baseline.Release
		}
		maxDrop = cfg.Baseline.MaxDrop
	}
	b.MaxDrop = maxDrop
	d.Baseline = b
	base, err := loadResults(ctx, ev, in, b.Release)
	if err != nil {
		return err
	}
	if len(base.ByRule) == 0 {
		b.Status = Hold
		d.hold("baseline release %s has no results on %s", b.Release, in.Dataset.Ref())
		return nil
	}
	b.Status = Pass
	for _, ch := range cfg.Checks {
		if ch.Rule == "" {
			continue
		}
		ca, okc := cur.ByRule[ch.Rule]
		ba, okb := base.ByRule[ch.Rule]
		if !okc || !okb || ca.Total == 0 || ba.Total == 0 {
			continue
		}
		delta := Delta{Rule: ch.Rule, Current: float64(ca.Passed) / float64(ca.Total), Baseline: float64(ba.Passed) / float64(ba.Total)}
		delta.Change = delta.Current - delta.Baseline
		if -delta.Change > maxDrop+1e-12 {
			delta.Breached = true
			b.Status = Fail
		}
		b.Deltas = append(b.Deltas, delta)
	}
	return nil
}

// settle derives the verdict: a breached blocking check fails; otherwise
// incomplete evidence holds; otherwise it passes.
func (d *Decision) settle() {
	failed := false
	for _, c := range d.Checks {
		switch {
		case c.Status == Fail && c.Blocking:
			failed = true
			d.Reasons = append(d.Reasons, fmt.Sprintf("%s failed: %s", c.Name, c.Message))
		case c.Status == Hold && c.Blocking:
			d.hold("%s: %s", c.Name, c.Message)
		}
	}
	if d.Baseline != nil && d.Baseline.Status == Fail {
		failed = true
		for _, x := range d.Baseline.Deltas {
			if x.Breached {
				d.Reasons = append(d.Reasons, fmt.Sprintf("rule %s pass rate fell %.3f against %s (max_drop %.3f)", x.Rule, -x.Change, d.Baseline.Release, d.Baseline.MaxDrop))
			}
		}
	}
	switch {
	case failed:
		d.Verdict = Fail
	case len(d.holds) > 0:
		d.Verdict = Hold
	default:
		d.Verdict = Pass
	}
	d.Reasons = append(d.Reasons, d.holds...)
	d.ExitCode = ExitCode(d.Verdict)
}

func (d *Decision) hold(format string, args ...any) {
	d.holds = append(d.holds, fmt.Sprintf(format, args...))
}

func (d *Decision) errorf(format string, args ...any) *Decision {
	d.Verdict, d.ExitCode = VerdictError, ExitCode(VerdictError)
	d.Reasons = append(d.Reasons, fmt.Sprintf(format, args...))
	return d
}

// Errored returns a decision with verdict error, for failures before the
// gate could run (bad config, unknown dataset, rules that don't compile),
// redacted as Evaluate's are.
func Errored(cfg *Config, opts Options, err error) *Decision {
	d := &Decision{DecidedAt: time.Now().UTC().Truncate(time.Millisecond), Commit: opts.Commit, DecidedBy: opts.DecidedBy}
	if cfg != nil {
		d.Owner, d.Release, d.Dataset = firstNonEmpty(opts.Owner, cfg.Owner), firstNonEmpty(opts.Release, cfg.Release), cfg.Dataset
	}
	return d.errorf("%v", err).redact()
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
