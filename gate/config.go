// Package gate decides whether a release may ship: it reads evaluator
// results for one dataset version and release, applies the checks of a
// gate.yaml kept in the repository, and returns a verdict with its
// evidence. It fails closed: anything unexpected is an error or a hold,
// never a pass.
package gate

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/datasets/dsref"
	"github.com/evalhouse/evalhouse/internal/yamldoc"
)

// Config is a gate.yaml.
type Config struct {
	// Dataset is the dataset version the release is judged on: "name@vN"
	// (or "name@latest", recorded as the concrete version).
	Dataset string `yaml:"dataset" json:"dataset"`
	// Release is the release under judgement; --release overrides.
	Release string `yaml:"release" json:"release"`
	// Owner is the release owner named in the evidence.
	Owner string `yaml:"owner" json:"owner"`
	// MinCases: fewer scored cases than this is a hold.
	MinCases int `yaml:"min_cases" json:"min_cases"`
	// Checks are what the release must meet.
	Checks []Check `yaml:"checks" json:"checks"`
	// Baseline, when set, compares each rule's pass rate with another release.
	Baseline *Baseline `yaml:"baseline" json:"baseline,omitempty"`
	// ChangeTypes maps a kind of change to the rules that block for it. The
	// key "default" (DefaultChangeType) gives the rules for any kind of
	// change not listed; without it, a --change-type the map does not list
	// is an error. A rule "*" means every rule check.
	ChangeTypes map[string][]string `yaml:"change_types" json:"change_types,omitempty"`
	// Rules is the directory of rule files, relative to gate.yaml; default "rules".
	Rules string `yaml:"rules" json:"rules,omitempty"`

	dir string // directory of the config file
}

// Check is one threshold: on a rule's results or on a run metric.
type Check struct {
	Rule        string   `yaml:"rule" json:"rule,omitempty"`
	Metric      string   `yaml:"metric" json:"metric,omitempty"`
	MinPassRate *float64 `yaml:"min_pass_rate" json:"min_pass_rate,omitempty"`
	MaxFailures *int     `yaml:"max_failures" json:"max_failures,omitempty"`
	Max         *float64 `yaml:"max" json:"max,omitempty"`
	Min         *float64 `yaml:"min" json:"min,omitempty"`
}

// Name is how the check is named in evidence.
func (c Check) Name() string {
	if c.Rule != "" {
		return "rule " + c.Rule
	}
	return "metric " + c.Metric
}

// Baseline compares with another release on the same dataset version.
type Baseline struct {
	Release string  `yaml:"release" json:"release"`
	MaxDrop float64 `yaml:"max_drop" json:"max_drop"`
	// Dataset optionally names the dataset version the baseline last
	// passed on; fixtures added since then are listed in the evidence.
	Dataset string `yaml:"dataset" json:"dataset,omitempty"`
}

// Metrics a check may name.
var Metrics = []string{"cost_usd_p95", "cost_usd_mean", "latency_ms_p95", "error_rate", "contract_violations"}

// ChangeTypes the gate knows: the one list rules, gates and dataset cases
// share (datasets.ChangeTypes).
var ChangeTypes = datasets.ChangeTypes

// DefaultChangeType is the change_types key whose rules block for a kind
// of change the map does not list.
const DefaultChangeType = "default"

// AllRules in a change_types list stands for every rule check.
const AllRules = "*"

// explicitRef reports whether s names a dataset version explicitly, NAME@vN
// or NAME@latest, in the grammar every dataset reader shares (dsref); a bare
// NAME is refused so a gate.yaml always says which version it judges on.
func explicitRef(s string) bool {
	r, err := dsref.Parse(s)
	return err == nil && (r.Pinned() || r.Latest)
}

// LoadConfig reads and validates a gate.yaml. Unknown keys are errors.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gate: %w", err)
	}
	cfg, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("gate: %s: %w", path, err)
	}
	cfg.dir = filepath.Dir(path)
	return cfg, nil
}

// ParseConfig parses and validates gate configuration (YAML or JSON): one
// YAML document, no unknown keys.
func ParseConfig(b []byte) (*Config, error) {
	var cfg Config
	if err := yamldoc.DecodeOne(b, &cfg); errors.Is(err, yamldoc.ErrEmpty) {
		return nil, errors.New("invalid gate config: empty (a gate config needs at least dataset and checks)")
	} else if err != nil {
		return nil, fmt.Errorf("invalid gate config: %w", err)
	}
	cfg.dir = "."
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// RulesDir is where the gate's rules live.
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

// ErrRulesDir means a config's rules: names no directory the server
// allows (serve --rules-dir).
var ErrRulesDir = errors.New("gate: rules")

// UseRulesDir points the config's rules at one of allowed, the directories
// a server was started with (serve --rules-dir), for configs that come
// from a request: rules: must name one of them, as given to the server or
// by its last element, and may be omitted when there is only one. Any
// other value is ErrRulesDir, decided from the names alone: nothing on
// the server's filesystem is looked at for it, so the answer says nothing
// about which paths exist there.
func (c *Config) UseRulesDir(allowed []string) error {
	dir, err := ResolveRulesDir(allowed, c.Rules)
	if err != nil {
		return err
	}
	c.Rules = dir
	return nil
}

// ResolveRulesDir is the one of allowed (a server's rules directories)
// that a posted config's rules: names, by path or base name, as an
// absolute path; an empty name is the only one when there is one. Any
// other name is ErrRulesDir, whether or not that path exists.
func ResolveRulesDir(allowed []string, name string) (string, error) {
	names := make([]string, len(allowed))
	for i, d := range allowed {
		names[i] = filepath.Base(filepath.Clean(d))
	}
	var dir string
	switch {
	case len(allowed) == 0:
		return "", fmt.Errorf("%w: this server has no rules directory (start it with serve --rules-dir DIR)", ErrRulesDir)
	case name == "" && len(allowed) == 1:
		dir = allowed[0]
	case name == "":
		return "", fmt.Errorf("%w: required: name one of this server's rules directories (%s)", ErrRulesDir, strings.Join(names, ", "))
	default:
		want := filepath.Clean(name)
		i := slices.IndexFunc(allowed, func(d string) bool { return filepath.Clean(d) == want })
		if i < 0 {
			i = slices.Index(names, want)
		}
		if i < 0 {
			return "", fmt.Errorf("%w: not one of this server's rules directories (serve --rules-dir): name one of %s", ErrRulesDir, strings.Join(names, ", "))
		}
		dir = allowed[i]
	}
	if !filepath.IsAbs(dir) {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	return dir, nil
}

// Validate reports every problem, each naming its YAML key. Every number
// must be finite (YAML's .nan and .inf are numbers too, and a NaN
// threshold compares false with everything), and pass rates, error rates
// and max_drop must lie in [0, 1].
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	// rate checks a share: finite, in [0, 1].
	rate := func(key string, v float64) {
		if math.IsNaN(v) || v < 0 || v > 1 {
			bad(key, "must be a number between 0 and 1, got %s", yamlFloat(v))
		}
	}
	if c.Dataset == "" {
		bad("dataset", "required (e.g. support-bot@v3)")
	} else if !explicitRef(c.Dataset) {
		bad("dataset", "%q is not NAME@vN or NAME@latest", c.Dataset)
	}
	if c.MinCases < 0 {
		bad("min_cases", "must be ≥ 0")
	}
	if len(c.Checks) == 0 {
		bad("checks", "at least one check is required: a gate with nothing to check would pass anything")
	}
	seen := map[string]bool{}
	ruleChecks := map[string]bool{}
	for i, ch := range c.Checks {
		key := fmt.Sprintf("checks[%d]", i)
		switch {
		case ch.Rule != "" && ch.Metric != "":
			bad(key, "names both rule and metric; one check, one subject")
		case ch.Rule == "" && ch.Metric == "":
			bad(key, "needs rule or metric")
		case ch.Rule != "":
			ruleChecks[ch.Rule] = true
			if ch.MinPassRate == nil && ch.MaxFailures == nil {
				bad(key, "rule %s needs min_pass_rate or max_failures", ch.Rule)
			}
			if ch.Max != nil || ch.Min != nil {
				bad(key, "max/min apply to metrics; a rule check takes min_pass_rate or max_failures")
			}
			if ch.MinPassRate != nil {
				rate(key+".min_pass_rate", *ch.MinPassRate)
			}
			if ch.MaxFailures != nil && *ch.MaxFailures < 0 {
				bad(key+".max_failures", "must be ≥ 0")
			}
		default:
			if !slices.Contains(Metrics, ch.Metric) {
				bad(key+".metric", "unknown metric %q (known: %s)", ch.Metric, strings.Join(Metrics, ", "))
			}
			if ch.Max == nil && ch.Min == nil {
				bad(key, "metric %s needs max or min", ch.Metric)
			}
			if ch.MinPassRate != nil || ch.MaxFailures != nil {
				bad(key, "min_pass_rate/max_failures apply to rules; a metric check takes max or min")
			}
			okMax, okMin := metricBound(bad, key+".max", ch.Metric, ch.Max), metricBound(bad, key+".min", ch.Metric, ch.Min)
			if okMax && okMin && ch.Max != nil && ch.Min != nil && *ch.Min > *ch.Max {
				bad(key, "min %g is above max %g: no value could pass", *ch.Min, *ch.Max)
			}
		}
		if seen[ch.Name()] {
			bad(key, "%s is checked twice", ch.Name())
		}
		seen[ch.Name()] = true
	}
	if c.Baseline != nil {
		if c.Baseline.Release == "" {
			bad("baseline.release", "required when baseline is set")
		}
		rate("baseline.max_drop", c.Baseline.MaxDrop)
		if c.Baseline.Dataset != "" && !explicitRef(c.Baseline.Dataset) {
			bad("baseline.dataset", "%q is not NAME@vN", c.Baseline.Dataset)
		}
	}
	cts := make([]string, 0, len(c.ChangeTypes))
	for ct := range c.ChangeTypes {
		cts = append(cts, ct)
	}
	sort.Strings(cts)
	for _, ct := range cts {
		if ct != DefaultChangeType && !slices.Contains(ChangeTypes, ct) {
			bad("change_types."+ct, "unknown change type (known: %s, and %s for the rest)", strings.Join(ChangeTypes, ", "), DefaultChangeType)
			continue
		}
		// A rule listed here but not checked is most likely a typo, and the
		// rule it meant would silently stop blocking for this change.
		for j, r := range c.ChangeTypes[ct] {
			if r != AllRules && !ruleChecks[r] && len(c.Checks) > 0 {
				bad(fmt.Sprintf("change_types.%s[%d]", ct, j), "rule %q has no check in checks (%s means every rule check)", r, AllRules)
			}
		}
	}
	return errors.Join(errs...)
}

// metricBound checks a metric check's max or min: finite and ≥ 0 (no
// metric is negative), at most 1 for error_rate. It reports whether v is
// usable.
func metricBound(bad func(key, format string, args ...any), key, metric string, v *float64) bool {
	switch {
	case v == nil:
		return true
	case math.IsNaN(*v) || math.IsInf(*v, 0):
		bad(key, "must be a finite number, got %s", yamlFloat(*v))
	case *v < 0:
		bad(key, "must be ≥ 0 (%s is never negative), got %g", metric, *v)
	case metric == "error_rate" && *v > 1:
		bad(key, "error_rate is a share of runs: must be between 0 and 1, got %g", *v)
	default:
		return true
	}
	return false
}

// yamlFloat spells a number as YAML would: .nan, .inf and -.inf for the
// values %g spells NaN, +Inf and -Inf.
func yamlFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return ".nan"
	case math.IsInf(v, 1):
		return ".inf"
	case math.IsInf(v, -1):
		return "-.inf"
	}
	return fmt.Sprintf("%g", v)
}
