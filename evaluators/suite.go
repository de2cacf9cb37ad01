package evaluators

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets"
)

// Suite is one dataset version as scoring and gating see it: the version
// and its cases. `evalhouse eval` and the gate both open the version they
// work on with OpenSuite, so they agree on which version a reference names
// and on its cases.
type Suite struct {
	Version datasets.Version
	// Cases are the version's cases, sorted by case id.
	Cases []datasets.Case
}

// OpenSuite resolves ref (NAME, NAME@latest or NAME@vN) and reads the
// version's cases, checked against its content hash. An unknown dataset or
// version is datasets.ErrNotFound.
func OpenSuite(ctx context.Context, ds *datasets.Store, ref string) (Suite, error) {
	v, err := ds.Resolve(ctx, ref)
	if err != nil {
		return Suite{}, err
	}
	cases, err := ds.Cases(ctx, v)
	if err != nil {
		return Suite{}, err
	}
	return Suite{Version: v, Cases: cases}, nil
}

// Source is the suite's cases as rules see them (Env.Case), by case id:
// the one conversion from dataset cases to rule cases.
func (s Suite) Source() CaseSource {
	src := make(CaseSource, len(s.Cases))
	for _, c := range s.Cases {
		src[c.CaseID] = Case{ID: c.CaseID, Input: c.Input, Expected: c.Expected, Tags: c.Tags}
	}
	return src
}

// CaseIDs are the suite's case ids, sorted.
func (s Suite) CaseIDs() []string {
	ids := make([]string, len(s.Cases))
	for i, c := range s.Cases {
		ids[i] = c.CaseID
	}
	return ids
}

// ScoreSuite scores every run of release that executed the suite's version
// with the rules whose scope covers datasets, and stores the results
// (ScoreDataset).
func ScoreSuite(ctx context.Context, conn driver.Conn, rs *RuleSet, s Suite, release string) (ScoreResult, error) {
	return ScoreDataset(ctx, conn, rs, s.Version.Name, s.Version.Number, s.Source(), release)
}
