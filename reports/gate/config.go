// Package gate decides whether a release may ship: it reads evaluator
// results for one dataset version and release, applies the checks of a
// gate.yaml kept in the repository, and returns a verdict with its
// evidence. It fails closed: anything unexpected is an error or a hold,
// never a pass.
package gate

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
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
	// ChangeTypes maps a kind of change to the rules that block for it.
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

// ChangeTypes the gate knows.
var ChangeTypes = []string{"prompt", "model", "tool", "retrieval", "memory", "workflow", "policy"}

var datasetRefRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*@(v[1-9][0-9]*|latest)$`)

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

// ParseConfig parses and validates gate configuration (YAML or JSON).
func ParseConfig(b []byte) (*Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("invalid gate config: %w", err)
	}
	cfg.dir = "."
	return &cfg, cfg.Validate()
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

// Validate reports every problem, each naming its YAML key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.Dataset == "" {
		bad("dataset", "required (e.g. support-bot@v3)")
	} else if !datasetRefRE.MatchString(c.Dataset) {
		bad("dataset", "%q is not NAME@vN or NAME@latest", c.Dataset)
	}
	if c.MinCases < 0 {
		bad("min_cases", "must be ≥ 0")
	}
	if len(c.Checks) == 0 {
		bad("checks", "at least one check is required: a gate with nothing to check would pass anything")
	}
	seen := map[string]bool{}
	for i, ch := range c.Checks {
		key := fmt.Sprintf("checks[%d]", i)
		switch {
		case ch.Rule != "" && ch.Metric != "":
			bad(key, "names both rule and metric; one check, one subject")
		case ch.Rule == "" && ch.Metric == "":
			bad(key, "needs rule or metric")
		case ch.Rule != "":
			if ch.MinPassRate == nil && ch.MaxFailures == nil {
				bad(key, "rule %s needs min_pass_rate or max_failures", ch.Rule)
			}
			if ch.Max != nil || ch.Min != nil {
				bad(key, "max/min apply to metrics; a rule check takes min_pass_rate or max_failures")
			}
			if ch.MinPassRate != nil && (*ch.MinPassRate < 0 || *ch.MinPassRate > 1) {
				bad(key+".min_pass_rate", "must be between 0 and 1")
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
		if c.Baseline.MaxDrop < 0 || c.Baseline.MaxDrop > 1 {
			bad("baseline.max_drop", "must be between 0 and 1")
		}
		if c.Baseline.Dataset != "" && !datasetRefRE.MatchString(c.Baseline.Dataset) {
			bad("baseline.dataset", "%q is not NAME@vN", c.Baseline.Dataset)
		}
	}
	for ct := range c.ChangeTypes {
		if !slices.Contains(ChangeTypes, ct) {
			bad("change_types."+ct, "unknown change type (known: %s)", strings.Join(ChangeTypes, ", "))
		}
	}
	return errors.Join(errs...)
}
