package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/internal/gen"
)

func (a *app) devCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Developer tools: synthetic data for benchmarks and demos",
	}
	cmd.AddCommand(a.devGenerateCmd())
	return cmd
}

type generateFlags struct {
	events       int
	seed         uint64
	out          string
	since        string
	now          string
	releases     int
	tenants      int
	datasetShare float64
	datasetOut   string
}

func (a *app) devGenerateCmd() *cobra.Command {
	var f generateFlags
	cmd := &cobra.Command{
		Use:   "generate --events N",
		Short: "Write N realistic envelope events (every kind, releases, tenants, dataset runs) as NDJSON",
		Long: `Write N synthetic events of a support agent in the envelope format
(docs/envelope.md), for scale benchmarks and demos: runs with model calls,
tools (with authorization, side effects, errors and retries), retrievals,
memory reads and writes, policy decisions, approvals and evals; several
releases rolled out through staging to production over the window, several
tenants and models, and dataset runs (dataset and case_id set) scored by
eval events.

Runs start in time order over the window ending now (--since before it);
every event lies before the current hour. The bytes are a function of
--seed and the hour (--now): the same pair gives the same file. The text
holds no secrets and no personal data, so ingest redacts nothing; every
event satisfies the trace contract (ingest --strict accepts them all).

--dataset-out writes the cases the dataset runs execute (JSONL for
evalhouse dataset create support-bot --from FILE), each with the policy
decision a correct run reaches (expected.policy_decision).

Statistics (events per kind, runs, events/s) go to standard error.`,
		Example: `  evalhouse dev generate --events 1000000 --seed 1 --out events.ndjson
  evalhouse dev generate --events 10000000 | evalhouse ingest -
  evalhouse dev generate --events 1000 --since 7d --now 2026-11-20T09:00:00Z --dataset-out cases.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.runGenerate(cmd, f) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.events, "events", 0, "how many events to write (required)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed; the same seed and hour give the same bytes")
	fl.StringVarP(&f.out, "out", "o", "-", "write to FILE (- for standard output)")
	fl.StringVar(&f.since, "since", "30d", "the window's start: a duration before now (30d, 12h) or an RFC 3339 time")
	fl.StringVar(&f.now, "now", "", "the window's end, an RFC 3339 time (default now; truncated to the hour)")
	fl.IntVar(&f.releases, "releases", gen.DefaultReleases, "releases rolled out over the window")
	fl.IntVar(&f.tenants, "tenants", gen.DefaultTenants, "tenants sending traffic (at most 16)")
	fl.Float64Var(&f.datasetShare, "dataset-share", gen.DefaultDatasetShare, "share of runs that execute a dataset case")
	fl.StringVar(&f.datasetOut, "dataset-out", "", "also write the dataset's cases (JSONL) to this file")
	return cmd
}

func (a *app) runGenerate(cmd *cobra.Command, f generateFlags) error {
	now := time.Now()
	if f.now != "" {
		t, err := time.Parse(time.RFC3339Nano, f.now)
		if err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("--now %q: want an RFC 3339 time (2026-11-20T09:00:00Z)", f.now)}
		}
		now = t
	}
	now = now.UTC().Truncate(time.Hour)
	from, err := parseWhen("--since", f.since, now)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	cfg := gen.Config{Events: f.events, Seed: f.seed, Now: now, Since: now.Sub(from),
		Releases: f.releases, Tenants: f.tenants, DatasetShare: f.datasetShare}
	if err := cfg.Validate(); err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	var w io.Writer = cmd.OutOrStdout()
	var file *os.File
	if f.out != "-" {
		if file, err = os.Create(f.out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer file.Close()
		w = file
	}
	start := time.Now()
	st, err := gen.Write(w, cfg)
	if err != nil {
		return err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return fmt.Errorf("--out %s: %w", f.out, err)
		}
	}
	el := time.Since(start)
	kinds := map[string]int{}
	for k, n := range st.Kinds {
		kinds[string(k)] = n
	}
	if f.datasetOut != "" {
		if err := writeGeneratedCases(f.datasetOut, gen.Dataset(gen.DatasetVersions(cfg))); err != nil {
			return err
		}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "generated %d events (%s) in %d runs (%d dataset runs), %s to %s, in %s (%.0f events/s)\n  kinds: %s\n",
		st.Events, humanBytes(st.Bytes), st.Runs, st.DatasetRuns, st.From.Format(time.RFC3339), st.To.Format(time.RFC3339),
		el.Round(time.Millisecond), float64(st.Events)/el.Seconds(), joinCounts(kinds))
	return nil
}

// writeGeneratedCases writes cases as dataset JSONL (docs/datasets.md).
func writeGeneratedCases(path string, cases []gen.Case) error {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--dataset-out: %w", err)
	}
	defer file.Close()
	w := bufio.NewWriter(file)
	for _, c := range cases {
		b, err := json.Marshal(c.Item())
		if err != nil {
			return fmt.Errorf("--dataset-out: case %s: %w", c.ID, err)
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("--dataset-out %s: %w", path, err)
	}
	return file.Close()
}
