package rollout

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
)

// side is what the gate read of one release in the window.
type side struct {
	runs  []events.RunSample
	caps  []events.Capability
	rules map[string]*ruleTally
	// falseAllow counts the runs of dataset cases that allowed where their
	// case expected more; cases, the runs of cases expecting a decision.
	falseAllow, cases int
	falseRuns         []RunRef
	falseBy           map[string]int // false allows by the deciding policy version

}

// ruleTally is one rule's results on a side's runs.
type ruleTally struct {
	passed, total int
	failing       []RunRef
}

// load reads a side: its runs, their capabilities, the rule checks'
// results (stored, else scored here) and the false allows.
func load(ctx context.Context, conn driver.Conn, cfg *Config, rs *evaluators.RuleSet, f events.StageFilter, d *Decision) (*side, error) {
	s := &side{rules: map[string]*ruleTally{}}
	var err error
	if s.runs, err = events.StageRuns(ctx, conn, f); err != nil {
		return nil, err
	}
	if s.caps, err = events.StageCapabilities(ctx, conn, f); err != nil {
		return nil, err
	}
	var ruleIDs []string
	var needFalseAllow bool
	for _, ch := range cfg.Checks {
		if ch.Rule != "" && !slices.Contains(ruleIDs, ch.Rule) {
			ruleIDs = append(ruleIDs, ch.Rule)
		}
		needFalseAllow = needFalseAllow || ch.Metric == "false_allow"
	}
	if len(ruleIDs) > 0 {
		if err := s.scoreRules(ctx, conn, rs, ruleIDs, f, d); err != nil {
			return nil, err
		}
	}
	if needFalseAllow {
		if err := s.countFalseAllows(ctx, conn, f); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// scoreRules tallies each rule on the side's runs: its stored production
// result (eval --environment) where there is one, else the gate scores
// the run itself (nothing is stored).
func (s *side) scoreRules(ctx context.Context, conn driver.Conn, rs *evaluators.RuleSet, ids []string, f events.StageFilter, d *Decision) error {
	keys := make([]events.RunKey, len(s.runs))
	byKey := map[events.RunKey]events.RunSample{}
	for i, r := range s.runs {
		keys[i] = key(r)
		byKey[keys[i]] = r
	}
	stored, err := evaluators.RunResults(ctx, conn, keys)
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.rules[id] = &ruleTally{}
	}
	tally := func(id string, run events.RunSample, passed bool, score float64) {
		t := s.rules[id]
		t.total++
		if passed {
			t.passed++
		} else {
			t.failing = append(t.failing, RunRef{Tenant: run.Tenant, RunID: run.RunID, TraceID: run.TraceID, Check: "rule " + id, Value: score})
		}
	}
	missing := map[events.RunKey][]string{}
	for _, k := range keys {
		for _, id := range ids {
			i := slices.IndexFunc(stored[k], func(r evaluators.RunResult) bool { return r.RuleID == id && r.Dataset == "" })
			if i < 0 {
				missing[k] = append(missing[k], id)
				continue
			}
			r := stored[k][i]
			tally(id, byKey[k], r.Passed, r.Score)
			d.Samples.StoredScores++
		}
	}
	if len(missing) > 0 {
		tenants := f.Tenants
		if len(tenants) == 0 {
			tenants = []string{""}
		}
		for _, tenant := range tenants {
			err := evaluators.ForEachRun(ctx, conn, evaluators.RunFilter{Release: f.Release, Environment: f.Environment, Tenant: tenant, Since: f.Since},
				func(m evaluators.RunMeta, env *evaluators.Env) error {
					k := events.RunKey{Tenant: m.Tenant, RunID: m.RunID}
					for _, id := range missing[k] {
						v := rs.Get(id).Eval(ctx, env)
						tally(id, byKey[k], v.Passed && v.Err == "", v.Score)
						d.Samples.ScoredByGate++
					}
					delete(missing, k)
					return nil
				})
			if err != nil {
				return err
			}
		}
	}
	for _, t := range s.rules {
		slices.SortStableFunc(t.failing, func(a, b RunRef) int { return cmpFloat(a.Value, b.Value) }) // lowest score first
	}
	return nil
}

// countFalseAllows scores the side's runs of dataset cases that expect a
// policy decision (expected.policy_decision), as the policy report does.
func (s *side) countFalseAllows(ctx context.Context, conn driver.Conn, f events.StageFilter) error {
	tenants := f.Tenants
	if len(tenants) == 0 {
		tenants = []string{""}
	}
	ranks := map[string]int{"allow": 1, "require_approval": 2, "deny": 3}
	for _, tenant := range tenants {
		af := events.AggFilter{Since: f.Since, Until: f.Until, Tenant: tenant, Environment: f.Environment, Releases: []string{f.Release}}
		refs, err := events.RunDatasets(ctx, conn, af, false)
		if err != nil {
			return err
		}
		if len(refs) == 0 {
			continue
		}
		raw, err := datasets.New(conn).ExpectedField(ctx, refs, "policy_decision")
		if err != nil {
			return err
		}
		want := map[string]map[string]string{}
		for ds, cases := range raw {
			want[ds] = map[string]string{}
			for c, v := range cases {
				var d string
				if json.Unmarshal(v, &d) == nil && ranks[d] > 0 {
					want[ds][c] = d
				}
			}
		}
		counts, err := events.DecisionCounts(ctx, conn, af, false, want, 50)
		if err != nil {
			return err
		}
		for _, c := range counts {
			s.cases += c.Runs
			actual := max(ranks[c.Decision], 1) // no decision: nothing stopped it
			if actual < ranks[c.Expected] {
				s.falseAllow += c.Runs
				if c.PolicyVersion != "" {
					if s.falseBy == nil {
						s.falseBy = map[string]int{}
					}
					s.falseBy[c.PolicyVersion] += c.Runs
				}
				for _, w := range c.Wrong {
					s.falseRuns = append(s.falseRuns, RunRef{Tenant: w.Tenant, RunID: w.RunID, TraceID: w.TraceID, Check: "metric false_allow"})
				}
			}
		}
	}
	return nil
}

// window is the span [until - window, until).
func window(cfg *Config, until time.Time) Window {
	w := time.Duration(cfg.Window)
	return Window{Since: until.Add(-w), Until: until, Duration: w.String()}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
