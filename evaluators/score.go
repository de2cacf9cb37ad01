package evaluators

import (
	"context"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets/dsref"
)

// CaseSource gives the cases of the dataset version being scored: their
// ids, inputs and expectations, keyed by case id.
type CaseSource map[string]Case

// ScoreResult says what a scoring pass did.
type ScoreResult struct {
	Runs         int      `json:"runs"`
	Results      int      `json:"results"`
	Passed       int      `json:"passed"`
	Failed       int      `json:"failed"`
	Errors       int      `json:"errors"`
	MissingCases []string `json:"missing_cases,omitempty"` // dataset cases with no run
	UnknownCases []string `json:"unknown_cases,omitempty"` // runs naming a case the version lacks
}

// scoreBatch is how many results go into one insert.
const scoreBatch = 10000

// ScoreDataset scores every run of release that executed the dataset
// version ref ("name@vN"), with the rules whose scope covers datasets, and
// stores one result per (run, case, rule, rule version). Re-scoring
// replaces earlier results (eval_results is keyed on exactly that).
func ScoreDataset(ctx context.Context, conn driver.Conn, rs *RuleSet, name string, version uint32, cases CaseSource, release string) (ScoreResult, error) {
	ref := dsref.Format(name, version)
	seen := map[string]bool{}
	var res ScoreResult
	w := newResultWriter(conn, name, version)
	err := ForEachRun(ctx, conn, RunFilter{Dataset: ref, Release: release}, func(m RunMeta, env *Env) error {
		c, ok := cases[m.CaseID]
		if !ok {
			res.UnknownCases = append(res.UnknownCases, m.CaseID)
			return nil
		}
		seen[m.CaseID] = true
		env.Case = c
		res.Runs++
		return w.add(ctx, m, rs.Eval(ctx, env, ScopeDataset), &res)
	})
	if err != nil {
		return res, err
	}
	if err := w.flush(ctx); err != nil {
		return res, err
	}
	for id := range cases {
		if !seen[id] {
			res.MissingCases = append(res.MissingCases, id)
		}
	}
	sort.Strings(res.MissingCases)
	sort.Strings(res.UnknownCases)
	return res, nil
}

// ScoreProduction scores the runs of an environment started since a time,
// with the rules whose scope covers production; Case is empty for them.
func ScoreProduction(ctx context.Context, conn driver.Conn, rs *RuleSet, environment string, since time.Time) (ScoreResult, error) {
	var res ScoreResult
	w := newResultWriter(conn, "", 0)
	err := ForEachRun(ctx, conn, RunFilter{Environment: environment, Since: since}, func(m RunMeta, env *Env) error {
		res.Runs++
		return w.add(ctx, m, rs.Eval(ctx, env, ScopeProduction), &res)
	})
	if err != nil {
		return res, err
	}
	return res, w.flush(ctx)
}

// resultWriter batches results into eval_results.
type resultWriter struct {
	conn    driver.Conn
	dataset string
	version uint32
	rows    []Result
}

func newResultWriter(conn driver.Conn, dataset string, version uint32) *resultWriter {
	return &resultWriter{conn: conn, dataset: dataset, version: version}
}

func (w *resultWriter) add(ctx context.Context, m RunMeta, verdicts []Verdict, res *ScoreResult) error {
	for _, v := range verdicts {
		res.Results++
		switch {
		case v.Err != "":
			res.Errors++
			res.Failed++
		case v.Passed:
			res.Passed++
		default:
			res.Failed++
		}
		w.rows = append(w.rows, Result{Dataset: w.dataset, DatasetVersion: w.version, Release: m.Release,
			RuleID: v.RuleID, RuleVersion: v.RuleVersion, CaseID: m.CaseID, RunID: m.RunID, TraceID: m.TraceID,
			Tenant: m.Tenant, Environment: m.Environment, Passed: v.Passed, Score: v.Score, Error: v.Err,
			Reason: v.Reason, RunTS: m.Started})
	}
	if len(w.rows) >= scoreBatch {
		return w.flush(ctx)
	}
	return nil
}

func (w *resultWriter) flush(ctx context.Context) error {
	if err := WriteResults(ctx, w.conn, w.rows); err != nil {
		return err
	}
	w.rows = w.rows[:0]
	return nil
}
