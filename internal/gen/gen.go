// Package gen writes realistic synthetic agent traffic as envelope NDJSON
// (docs/envelope.md), for scale benchmarks and demos: a support agent's
// runs with every kind of event (run, model, tool, retrieval, memory,
// policy, approval, eval), several releases rolled out through staging to
// production, tenants, models, dataset runs and their evals.
//
// The output is a pure function of Config: the same Seed and Now (which
// Write truncates to the hour) give the same bytes. Every event satisfies
// the trace contract, and the text holds no secrets and no personal data
// (customer ids and order numbers are random tokens), so an ingest of it
// redacts nothing.
package gen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// Config says what to generate. Zero fields take the defaults noted.
type Config struct {
	// Events is how many events to write, exactly (required, > 0).
	Events int
	// Seed selects the stream; the same Seed and Now give the same bytes.
	Seed uint64
	// Now ends the window; Write truncates it to the hour. Zero means
	// time.Now().
	Now time.Time
	// Since is the window's length (default 30 days). Runs start between
	// Now-Since and Now-1h, in order; every event lies before Now.
	Since time.Duration
	// Releases is how many releases roll out over the window (default 6).
	Releases int
	// Tenants is how many tenants send traffic (default 5, at most 16).
	Tenants int
	// DatasetShare is the share of runs that execute a dataset case in
	// staging and are scored by eval events (default 0.25; 0 < share <= 1).
	DatasetShare float64
}

// Defaults of Config.
const (
	DefaultSince        = 30 * 24 * time.Hour
	DefaultReleases     = 6
	DefaultTenants      = 5
	DefaultDatasetShare = 0.25
)

// withDefaults returns c with zero fields defaulted and Now truncated.
func (c Config) withDefaults() Config {
	if c.Now.IsZero() {
		c.Now = time.Now()
	}
	c.Now = c.Now.UTC().Truncate(time.Hour)
	if c.Since == 0 {
		c.Since = DefaultSince
	}
	if c.Releases == 0 {
		c.Releases = DefaultReleases
	}
	if c.Tenants == 0 {
		c.Tenants = DefaultTenants
	}
	if c.DatasetShare == 0 {
		c.DatasetShare = DefaultDatasetShare
	}
	return c
}

// Validate reports every field out of range, naming the field.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Events <= 0 {
		errs = append(errs, fmt.Errorf("gen: events: want > 0, got %d", c.Events))
	}
	if c.Since < 2*time.Hour {
		errs = append(errs, fmt.Errorf("gen: since: want at least 2h, got %s", c.Since))
	}
	if c.Releases < 1 || c.Releases > 100 {
		errs = append(errs, fmt.Errorf("gen: releases: want 1 to 100, got %d", c.Releases))
	}
	if c.Tenants < 1 || c.Tenants > len(tenantNames) {
		errs = append(errs, fmt.Errorf("gen: tenants: want 1 to %d, got %d", len(tenantNames), c.Tenants))
	}
	if !(c.DatasetShare > 0 && c.DatasetShare <= 1) {
		errs = append(errs, fmt.Errorf("gen: dataset share: want 0 < share <= 1, got %v", c.DatasetShare))
	}
	return errors.Join(errs...)
}

// Stats counts what Write wrote.
type Stats struct {
	Events      int                   `json:"events"`
	Bytes       int64                 `json:"bytes"`
	Runs        int                   `json:"runs"`
	DatasetRuns int                   `json:"dataset_runs"`
	Kinds       map[envelope.Kind]int `json:"kinds"`
	From        time.Time             `json:"from"` // the window: first run's start
	To          time.Time             `json:"to"`   // Now, truncated to the hour
}

// Write writes cfg.Events events to w, one JSON object per line, run by
// run in time order (a run's own event first, then its children by start
// time). The last run is cut short when the count ends inside it; every
// event written still satisfies the trace contract.
func Write(w io.Writer, cfg Config) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	g := newGenerator(cfg.withDefaults())
	bw := bufio.NewWriterSize(w, 1<<20)
	for g.stats.Events < g.cfg.Events {
		g.run()
		if len(g.out) >= 1<<20 {
			g.stats.Bytes += int64(len(g.out))
			if _, err := bw.Write(g.out); err != nil {
				return g.stats, fmt.Errorf("gen: write: %w", err)
			}
			g.out = g.out[:0]
		}
	}
	g.stats.Bytes += int64(len(g.out))
	if _, err := bw.Write(g.out); err != nil {
		return g.stats, fmt.Errorf("gen: write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return g.stats, fmt.Errorf("gen: write: %w", err)
	}
	return g.stats, nil
}

// Dataset returns the cases of version v (from 1) of the generated
// dataset, support-bot: the cases dataset runs execute, with the policy
// decision a correct run reaches (the ground truth of the policy report).
func Dataset(v int) []Case {
	out := make([]Case, datasetCases(v))
	for i := range out {
		out[i] = caseOf(i + 1)
	}
	return out
}

// DatasetVersions returns the newest dataset version cfg's releases run
// (release k runs support-bot@v(1+k/3)); Dataset of it holds every case any
// generated run executes.
func DatasetVersions(cfg Config) int {
	cfg = cfg.withDefaults()
	return 1 + (cfg.Releases-1)/3
}

// Item returns c as a dataset case (docs/datasets.md): the customer's
// request as input, and as expected the task and, when a policy applies,
// the decision a correct run reaches (expected.policy_decision).
func (c Case) Item() map[string]any {
	expected := map[string]any{"task": c.Task}
	if c.PolicyDecision != "" {
		expected["policy_decision"] = c.PolicyDecision
	}
	input := map[string]any{"task": c.Task}
	if c.Amount > 0 {
		input["amount_usd"] = c.Amount
	}
	return map[string]any{"case_id": c.ID, "input": input, "expected": expected, "tags": []string{c.Task}}
}
