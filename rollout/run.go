package rollout

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/redact"
)

// Options are what a caller sets beside the config.
type Options struct {
	Release, Baseline string        // override the config's
	Window            time.Duration // overrides the config's
	// Until is the window's end; zero: now.
	Until                    time.Time
	Owner, Commit, DecidedBy string
	// Timeout and MaxMemory bound every query of the evaluation (a stage
	// gate scans its window); default DefaultTimeout and DefaultMaxMemory.
	Timeout   time.Duration
	MaxMemory int64
	// Record, when set, is what the release ran with when decided
	// (releases.Show), kept in the evidence.
	Record func(ctx context.Context, conn driver.Conn, release, environment string) (any, error)
}

// Run evaluates the stage gate and records the decision. A problem before
// evaluation (rules that don't load, a rule check naming a rule that is
// not a production rule) is a decision with verdict error, recorded too.
// A store failing during evaluation returns a nil decision and the error;
// a decision that cannot be recorded comes back with verdict error (exit
// 3), Stored false, and the error.
func Run(ctx context.Context, conn driver.Conn, cfg *Config, opts Options) (*Decision, error) {
	bctx, cancel := budget(ctx, opts)
	d, err := evaluate(bctx, conn, cfg, opts)
	cancel()
	if err != nil {
		return nil, err
	}
	if rerr := Record(ctx, conn, d); rerr != nil {
		was := d.Verdict
		d.Stored, d.StoreError = false, scrub(rerr.Error())
		d.Verdict, d.ExitCode = VerdictError, ExitCode(VerdictError)
		d.Reasons = append([]string{fmt.Sprintf("decision not stored: the stage gate evaluated to %s, but stage_decisions refused it (%s); a decision not on record is not acted on", was, d.StoreError)}, d.Reasons...)
		return d, rerr
	}
	return d, nil
}

// Budget defaults.
const (
	DefaultTimeout   = 2 * time.Minute
	DefaultMaxMemory = 4 << 30
)

// budget bounds the evaluation's queries: the engine stops each at
// max_execution_time and max_memory_usage, the context a little later.
func budget(ctx context.Context, opts Options) (context.Context, context.CancelFunc) {
	timeout, mem := cmp.Or(opts.Timeout, DefaultTimeout), cmp.Or(opts.MaxMemory, DefaultMaxMemory)
	ctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
		"max_execution_time": max(1, int(timeout.Seconds())), "max_memory_usage": mem})), cancel
}

// newDecision is d's frame: who, what and when, before any check.
func newDecision(cfg *Config, opts Options) *Decision {
	c := *cfg
	if opts.Release != "" {
		c.Release = opts.Release
	}
	if opts.Baseline != "" {
		c.Baseline.Release = opts.Baseline
	}
	if opts.Window > 0 {
		c.Window = Duration(opts.Window)
	}
	until := opts.Until
	if until.IsZero() {
		until = time.Now().UTC()
	}
	owner := c.Owner
	if opts.Owner != "" {
		owner = opts.Owner
	}
	return &Decision{DecisionID: newID(), DecidedAt: time.Now().UTC().Truncate(time.Millisecond), DecidedBy: opts.DecidedBy,
		Commit: opts.Commit, Owner: owner, RollbackOwner: c.RollbackOwner, Stage: c.Stage, Stages: c.Stages, Release: c.Release,
		Baseline: c.Baseline.Release, BaselineTenants: c.Baseline.Tenants, Environment: c.Environment, Window: window(&c, until.UTC().Truncate(time.Millisecond)), Cohort: c.Cohort}
}

// Errored is the decision for a stage gate that could not be evaluated.
func Errored(cfg *Config, opts Options, err error) *Decision {
	d := newDecision(cfg, opts)
	d.Verdict, d.ExitCode = VerdictError, ExitCode(VerdictError)
	d.Reasons = []string{err.Error()}
	return d.redact()
}

func evaluate(ctx context.Context, conn driver.Conn, cfg *Config, opts Options) (*Decision, error) {
	d := newDecision(cfg, opts)
	if d.Release == "" {
		return Errored(cfg, opts, fmt.Errorf("no release to judge: set release: in the config or --release")), nil
	}
	if opts.Window < 0 || opts.Window > MaxWindow {
		return Errored(cfg, opts, fmt.Errorf("window %s: want a positive duration of at most %s", opts.Window, MaxWindow)), nil
	}
	if d.Baseline != "" && d.Baseline == d.Release {
		return Errored(cfg, opts, fmt.Errorf("baseline %q is the release under judgement", d.Baseline)), nil
	}
	var rs *evaluators.RuleSet
	ruleTypes := map[string][]string{}
	if slices.ContainsFunc(cfg.Checks, func(ch Check) bool { return ch.Rule != "" }) {
		var err error
		if rs, err = evaluators.LoadDir(cfg.RulesDir()); err != nil {
			return Errored(cfg, opts, fmt.Errorf("rules in %s: %s", filepath.Base(cfg.RulesDir()), strings.ReplaceAll(err.Error(), filepath.Dir(cfg.RulesDir())+string(filepath.Separator), ""))), nil
		}
		for _, ch := range cfg.Checks {
			if ch.Rule == "" {
				continue
			}
			r := rs.Get(ch.Rule)
			switch {
			case r == nil:
				return Errored(cfg, opts, fmt.Errorf("check rule %s: no such rule in %s", ch.Rule, filepath.Base(cfg.RulesDir()))), nil
			case r.Scope == evaluators.ScopeDataset:
				return Errored(cfg, opts, fmt.Errorf("check rule %s: its scope is dataset: a stage gate judges production runs (scope production or both)", ch.Rule)), nil
			}
			ruleTypes[ch.Rule] = r.AppliesTo
		}
	}
	f := events.StageFilter{Release: d.Release, Environment: d.Environment, Tenants: d.Cohort.Tenants, Since: d.Window.Since, Until: d.Window.Until}
	rel, err := load(ctx, conn, cfg, rs, f, d)
	if err != nil {
		return nil, err
	}
	var base *side
	if d.Baseline != "" {
		f.Release, f.Tenants = d.Baseline, d.BaselineTenants
		if base, err = load(ctx, conn, cfg, rs, f, &Decision{}); err != nil {
			return nil, err
		}
	}
	if opts.Record != nil {
		if d.Record, err = opts.Record(ctx, conn, d.Release, d.Environment); err != nil {
			return nil, err
		}
	}
	judge(cfg, rel, base, ruleTypes, d)
	return d.redact(), nil
}

var red = redact.New(redact.DefaultConfig())

func scrub(s string) string { return redact.Scrub(red, s, nil) }

// redact replaces secrets in every text a decision carries from its
// caller or config, as the dataset gate's decisions do.
func (d *Decision) redact() *Decision {
	d.Commit, d.Owner, d.RollbackOwner, d.DecidedBy = scrub(d.Commit), scrub(d.Owner), scrub(d.RollbackOwner), scrub(d.DecidedBy)
	d.Release, d.Baseline, d.StoreError = scrub(d.Release), scrub(d.Baseline), scrub(d.StoreError)
	for i := range d.Reasons {
		d.Reasons[i] = scrub(d.Reasons[i])
	}
	for i := range d.Checks {
		d.Checks[i].Message = scrub(d.Checks[i].Message)
	}
	return d
}
