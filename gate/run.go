package gate

import (
	"context"
	"errors"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/datasets/dsref"
	"github.com/evalhouse/evalhouse/evaluators"
)

// Run resolves what the config names (the dataset version, the rules),
// evaluates the gate and records the decision. Problems before evaluation
// (unknown dataset version, rules that don't compile) give a decision with
// verdict error, which is recorded too. A store that fails during
// evaluation returns a nil decision and the error; a decision that cannot
// be recorded is returned with verdict error (exit 3), Stored false, and
// the error.
func Run(ctx context.Context, conn driver.Conn, cfg *Config, opts Options) (*Decision, error) {
	d, err := run(ctx, conn, cfg, opts)
	if err != nil {
		return nil, err
	}
	if rerr := Record(ctx, conn, d); rerr != nil {
		d.notStored(rerr)
		return d, rerr
	}
	return d, nil
}

func run(ctx context.Context, conn driver.Conn, cfg *Config, opts Options) (*Decision, error) {
	ds := datasets.New(conn)
	suite, err := evaluators.OpenSuite(ctx, ds, cfg.Dataset)
	if err != nil {
		if errors.Is(err, datasets.ErrNotFound) {
			return Errored(cfg, opts, err), nil
		}
		return nil, err
	}
	v := suite.Version
	rs, err := evaluators.LoadDir(cfg.RulesDir())
	if err != nil {
		return Errored(cfg, opts, fmt.Errorf("rules in %s: %w", cfg.RulesDir(), err)), nil
	}
	in := Inputs{Dataset: Dataset{Name: v.Name, Version: v.Number, Hash: v.Hash, CaseIDs: suite.CaseIDs()}, Rules: map[string]Rule{}}
	for _, r := range rs.Rules {
		in.Rules[r.ID] = Rule{ID: r.ID, Version: r.Version, Severity: r.Severity, AppliesTo: r.AppliesTo}
	}
	if in.Dataset.Fixtures, err = fixtures(ctx, ds, v, suite.Cases); err != nil {
		return nil, err
	}
	if cfg.Baseline != nil && cfg.Baseline.Dataset != "" {
		bv, err := ds.Resolve(ctx, cfg.Baseline.Dataset)
		if err != nil {
			return Errored(cfg, opts, fmt.Errorf("baseline.dataset: %w", err)), nil
		}
		in.FixturesSince = bv.Number
	}
	return Evaluate(ctx, StoreEvidence(conn), cfg, in, opts)
}

// fixtures lists the version's cases promoted from incidents, each with the
// first version that held it.
func fixtures(ctx context.Context, ds *datasets.Store, v datasets.Version, cases []datasets.Case) ([]Fixture, error) {
	var out []Fixture
	for _, c := range cases {
		inc, tr, ok := c.Incident()
		if !ok {
			continue
		}
		out = append(out, Fixture{CaseID: c.CaseID, Incident: inc, TraceID: tr, AddedIn: v.Number})
	}
	if len(out) == 0 {
		return nil, nil
	}
	// Walk back through earlier versions to find where each fixture arrived.
	for n := v.Number - 1; n >= 1; n-- {
		prev, err := ds.Resolve(ctx, dsref.Format(v.Name, n))
		if err != nil {
			break
		}
		pc, err := ds.Cases(ctx, prev)
		if err != nil {
			return nil, err
		}
		have := map[string]bool{}
		for _, c := range pc {
			have[c.CaseID] = true
		}
		for i := range out {
			if have[out[i].CaseID] {
				out[i].AddedIn = n
			}
		}
	}
	return out, nil
}
