// Package rollout judges a rollout stage (canary, cohort, expanded, …) on
// the release's production traffic in a window, against a baseline
// release over the same window, and answers expand, hold, narrow or
// rollback with an exit code deploy tools act on (docs/rollout.md). It
// owns the stage_decisions table.
package rollout

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/internal/yamldoc"
	"github.com/evalhouse/evalhouse/releases"
)

// Config is a stage gate: a gate config with a stage: key.
type Config struct {
	// Stage is the stage judged: one of Stages.
	Stage string `yaml:"stage" json:"stage"`
	// Stages are the rollout's stage names, in order; default
	// releases.DefaultStages, our design's six.
	Stages []string `yaml:"stages" json:"stages,omitempty"`
	// Release is the release under judgement; --release overrides.
	Release     string `yaml:"release" json:"release"`
	Environment string `yaml:"environment" json:"environment"` // default production
	// Window is how far back from now the stage's runs started; default 1h.
	Window   Duration `yaml:"window" json:"window"`
	Cohort   Cohort   `yaml:"cohort" json:"cohort"`
	Baseline Baseline `yaml:"baseline" json:"baseline"`
	// MinRuns: fewer runs of the release (or of the baseline, when checks
	// compare) in the window is a hold; default 30.
	MinRuns int `yaml:"min_runs" json:"min_runs"`
	// Alpha is the significance level of every comparison; default 0.05.
	Alpha float64 `yaml:"alpha" json:"alpha"`
	// RequireKinds are the event kinds the release's runs must show in
	// the window; default run and model.
	RequireKinds []string `yaml:"require_kinds" json:"require_kinds"`
	// MaxExportGap: a release whose newest event in the environment is
	// older than this before the window's end is a hold (trace export has
	// stopped); default 15m.
	MaxExportGap  Duration `yaml:"max_export_gap" json:"max_export_gap"`
	Owner         string   `yaml:"owner" json:"owner,omitempty"`
	RollbackOwner string   `yaml:"rollback_owner" json:"rollback_owner,omitempty"`
	// Rules is the directory of rule files, relative to the config;
	// default rules. Rule checks read its production-scope rules.
	Rules  string  `yaml:"rules" json:"rules,omitempty"`
	Checks []Check `yaml:"checks" json:"checks"`

	dir string
}

// Cohort is who the stage serves: tenants, or a share of traffic (kept in
// the evidence; only tenants narrow the runs read).
type Cohort struct {
	Tenants []string `yaml:"tenants" json:"tenants,omitempty"`
	Percent float64  `yaml:"percent" json:"percent,omitempty"`
}

// Baseline is the release the stage is compared with, over the same
// window and environment: all its tenants, or Tenants when given (a
// tenant cohort's tenants have left the stable release, so its other
// tenants are the comparison).
type Baseline struct {
	Release string   `yaml:"release" json:"release"`
	Tenants []string `yaml:"tenants" json:"tenants,omitempty"`
}

// Check is one threshold on a production metric or a rule's pass rate:
// absolute (Max, Min, MinPassRate) and against the baseline (MaxIncrease,
// MaxIncreaseRatio, MaxDecrease, MaxDrop).
type Check struct {
	Metric string `yaml:"metric" json:"metric,omitempty"`
	Rule   string `yaml:"rule" json:"rule,omitempty"`
	// Severity is blocking (default: a breach rolls back) or warning (a
	// breach narrows).
	Severity         string   `yaml:"severity" json:"severity,omitempty"`
	Max              *float64 `yaml:"max" json:"max,omitempty"`
	Min              *float64 `yaml:"min" json:"min,omitempty"`
	MaxIncrease      *float64 `yaml:"max_increase" json:"max_increase,omitempty"`
	MaxIncreaseRatio *float64 `yaml:"max_increase_ratio" json:"max_increase_ratio,omitempty"`
	MaxDecrease      *float64 `yaml:"max_decrease" json:"max_decrease,omitempty"`
	MinPassRate      *float64 `yaml:"min_pass_rate" json:"min_pass_rate,omitempty"`
	MaxDrop          *float64 `yaml:"max_drop" json:"max_drop,omitempty"`
}

// Name is how the check is named in evidence.
func (c Check) Name() string {
	if c.Rule != "" {
		return "rule " + c.Rule
	}
	return "metric " + c.Metric
}

// Blocking reports whether a breach of c rolls back.
func (c Check) Blocking() bool { return c.Severity != SeverityWarning }

// Severities.
const (
	SeverityBlocking = "blocking"
	SeverityWarning  = "warning"
)

// metricSpec says what a metric is: a proportion (a test of two
// proportions compares it) or a per-run value (its p95, by the exceedance
// test), and whether more is worse.
type metricSpec struct {
	proportion  bool
	higherWorse bool
	count       bool // Max bounds a count, not a rate (no comparison)
	doc         string
}

// Metrics are the production metrics a stage check may name.
var Metrics = map[string]metricSpec{
	"error_rate":          {proportion: true, higherWorse: true, doc: "runs whose run event's status is error / runs"},
	"cost_usd_p95":        {higherWorse: true, doc: "95th percentile of a run's cost"},
	"latency_ms_p95":      {higherWorse: true, doc: "95th percentile of a run's duration"},
	"policy_deny_rate":    {proportion: true, higherWorse: true, doc: "policy decisions that denied / policy decisions"},
	"approval_rate":       {proportion: true, doc: "approvals approved / approvals"},
	"false_allow":         {count: true, higherWorse: true, doc: "runs of dataset cases that allowed where the case expects require_approval or deny"},
	"rag_stale_rate":      {proportion: true, higherWorse: true, doc: "retrievals of stale sources / retrievals"},
	"rag_forbidden_rate":  {proportion: true, higherWorse: true, doc: "retrievals denied access / retrievals"},
	"contract_violations": {proportion: true, higherWorse: true, doc: "events with a trace-contract violation / events"},
}

// MetricNames lists Metrics in order.
func MetricNames() []string {
	var n []string
	for k := range Metrics {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// Defaults.
const (
	DefaultEnvironment = "production"
	DefaultWindow      = time.Hour
	DefaultMinRuns     = 30
	DefaultAlpha       = 0.05
	DefaultExportGap   = 15 * time.Minute
	// MaxWindow bounds a window: a stage is judged on recent traffic, and
	// a window is a scan.
	MaxWindow = 31 * 24 * time.Hour
	// MaxTenants bounds a cohort's tenants (each is a query of its own
	// where rules are scored).
	MaxTenants = 100
)

// DefaultRequireKinds are the kinds a stage's runs must show.
var DefaultRequireKinds = []string{"run", "model"}

// Duration is a time.Duration in YAML as "1h", "30m".
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (30m, 1h, 2h30m)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) d() time.Duration { return time.Duration(d) }

func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// MarshalText writes it as "1h0m0s" in JSON.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// IsStageConfig reports whether b is a stage gate's config (a top-level
// stage: key) rather than a dataset gate's.
func IsStageConfig(b []byte) bool {
	var top map[string]yaml.Node
	if yaml.Unmarshal(b, &top) != nil {
		return false
	}
	_, ok := top["stage"]
	return ok
}

// LoadConfig reads and validates a stage gate config.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rollout: %w", err)
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("rollout: %s: %w", path, err)
	}
	cfg.dir = filepath.Dir(path)
	return cfg, nil
}

// ParseConfig parses and validates one YAML document with no unknown key,
// and fills in the defaults.
func ParseConfig(b []byte) (*Config, error) {
	var cfg Config
	if err := yamldoc.DecodeOne(b, &cfg); errors.Is(err, yamldoc.ErrEmpty) {
		return nil, errors.New("invalid stage gate config: empty (a stage gate needs at least stage and checks)")
	} else if err != nil {
		return nil, fmt.Errorf("invalid stage gate config: %w", err)
	}
	cfg.dir = "."
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func (c *Config) defaults() {
	if c.Environment == "" {
		c.Environment = DefaultEnvironment
	}
	if c.Window == 0 {
		c.Window = Duration(DefaultWindow)
	}
	if c.MinRuns == 0 {
		c.MinRuns = DefaultMinRuns
	}
	if c.Alpha == 0 {
		c.Alpha = DefaultAlpha
	}
	if c.RequireKinds == nil {
		c.RequireKinds = DefaultRequireKinds
	}
	if c.MaxExportGap == 0 {
		c.MaxExportGap = Duration(DefaultExportGap)
	}
	if len(c.Stages) == 0 {
		c.Stages = releases.DefaultStages
	}
}

// RulesDir is where the rule checks' rules live.
func (c *Config) RulesDir() string {
	d := c.Rules
	if d == "" {
		d = "rules"
	}
	if filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(c.dir, d)
}

// SetDir sets the directory rules: is relative to.
func (c *Config) SetDir(dir string) { c.dir = dir }

// Validate reports every problem, each naming its key.
func (c *Config) Validate() error {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if err := releases.CheckStages(c.Stages); err != nil {
		bad("stages: %s", strings.TrimPrefix(err.Error(), "releases: stages "))
	} else if !slices.Contains(c.Stages, c.Stage) {
		bad("stage: %q is not one of stages (%s)", c.Stage, strings.Join(c.Stages, ", "))
	}
	if c.Baseline.Release != "" && c.Baseline.Release == c.Release {
		bad("baseline.release: %q is the release under judgement", c.Baseline.Release)
	}
	if c.Window < 0 || time.Duration(c.Window) > MaxWindow {
		bad("window: want a positive duration of at most %s (31 days), got %s", MaxWindow, time.Duration(c.Window))
	}
	if c.MinRuns < 1 {
		bad("min_runs: want at least 1, got %d", c.MinRuns)
	}
	if !(c.Alpha > 0 && c.Alpha < 0.5) {
		bad("alpha: want a significance level in (0, 0.5), got %v", c.Alpha)
	}
	if c.MaxExportGap < 0 {
		bad("max_export_gap: want a positive duration")
	}
	for _, k := range c.RequireKinds {
		if !slices.Contains(envelope.Kinds, envelope.Kind(k)) {
			bad("require_kinds: %q is not an event kind", k)
		}
	}
	if len(c.Cohort.Tenants) > MaxTenants || len(c.Baseline.Tenants) > MaxTenants {
		bad("cohort.tenants, baseline.tenants: at most %d tenants each", MaxTenants)
	}
	if p := c.Cohort.Percent; math.IsNaN(p) || p < 0 || p > 100 || (p > 0 && len(c.Cohort.Tenants) > 0) {
		bad("cohort: percent must be in (0, 100], and tenants and percent are exclusive")
	}
	if len(c.Checks) == 0 {
		bad("checks: a stage gate needs at least one check")
	}
	for i, ch := range c.Checks {
		at := fmt.Sprintf("checks[%d]", i)
		for name, v := range map[string]*float64{"max": ch.Max, "min": ch.Min, "max_increase": ch.MaxIncrease,
			"max_increase_ratio": ch.MaxIncreaseRatio, "max_decrease": ch.MaxDecrease, "min_pass_rate": ch.MinPassRate, "max_drop": ch.MaxDrop} {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0) {
				bad("%s.%s: want a finite number of at least 0, got %v", at, name, *v)
			}
		}
		switch ch.Severity {
		case "", SeverityBlocking, SeverityWarning:
		default:
			bad("%s.severity: %q: want blocking or warning", at, ch.Severity)
		}
		switch {
		case (ch.Metric == "") == (ch.Rule == ""):
			bad("%s: name one of metric or rule", at)
		case ch.Rule != "":
			if ch.MinPassRate == nil && ch.MaxDrop == nil {
				bad("%s (rule %s): set min_pass_rate or max_drop", at, ch.Rule)
			}
			if ch.Max != nil || ch.Min != nil || ch.MaxIncrease != nil || ch.MaxIncreaseRatio != nil || ch.MaxDecrease != nil {
				bad("%s (rule %s): a rule check takes min_pass_rate and max_drop only", at, ch.Rule)
			}
			for _, v := range []*float64{ch.MinPassRate, ch.MaxDrop} {
				if v != nil && *v > 1 {
					bad("%s (rule %s): rates lie in [0, 1], got %v", at, ch.Rule, *v)
				}
			}
		default:
			spec, ok := Metrics[ch.Metric]
			if !ok {
				bad("%s.metric: %q: want one of %s", at, ch.Metric, strings.Join(MetricNames(), ", "))
				continue
			}
			if ch.MinPassRate != nil || ch.MaxDrop != nil {
				bad("%s (metric %s): min_pass_rate and max_drop are for rules", at, ch.Metric)
			}
			c.validateMetricCheck(at, ch, spec, bad)
		}
		if ch.comparesBaseline() && c.Baseline.Release == "" {
			bad("%s: compares with the baseline, but baseline.release is not set", at)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid stage gate config: %s", strings.Join(errs, "; "))
	}
	return nil
}

func (c *Config) validateMetricCheck(at string, ch Check, spec metricSpec, bad func(string, ...any)) {
	name := ch.Metric
	if ch.Max == nil && ch.Min == nil && ch.MaxIncrease == nil && ch.MaxIncreaseRatio == nil && ch.MaxDecrease == nil {
		bad("%s (metric %s): set a threshold (max, min) or a change against the baseline", at, name)
	}
	if spec.proportion {
		for k, v := range map[string]*float64{"max": ch.Max, "min": ch.Min, "max_increase": ch.MaxIncrease, "max_decrease": ch.MaxDecrease} {
			if v != nil && *v > 1 {
				bad("%s.%s (metric %s): a rate lies in [0, 1], got %v", at, k, name, *v)
			}
		}
		if ch.MaxIncreaseRatio != nil {
			bad("%s (metric %s): a rate compares by max_increase (or max_decrease), not max_increase_ratio", at, name)
		}
	} else if ch.MaxIncrease != nil || ch.MaxDecrease != nil {
		bad("%s (metric %s): a per-run value compares by max_increase_ratio", at, name)
	}
	if spec.count && (ch.MaxIncrease != nil || ch.MaxIncreaseRatio != nil || ch.MaxDecrease != nil || ch.Min != nil) {
		bad("%s (metric %s): a count takes max only", at, name)
	}
	if spec.higherWorse && (ch.Min != nil || ch.MaxDecrease != nil) && !spec.count {
		bad("%s (metric %s): more is worse: bound it with max and max_increase", at, name)
	}
	if !spec.higherWorse && (ch.Max != nil || ch.MaxIncrease != nil) {
		bad("%s (metric %s): less is worse: bound it with min and max_decrease", at, name)
	}
}

func (c *Config) comparesBaseline() bool {
	return slices.ContainsFunc(c.Checks, func(ch Check) bool { return ch.comparesBaseline() })
}

func (c *Config) hasRuleChecks() bool {
	return slices.ContainsFunc(c.Checks, func(ch Check) bool { return ch.Rule != "" })
}

func (ch Check) comparesBaseline() bool {
	return ch.MaxIncrease != nil || ch.MaxIncreaseRatio != nil || ch.MaxDecrease != nil || ch.MaxDrop != nil
}
