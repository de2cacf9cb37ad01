package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/releases"
	"github.com/evalhouse/evalhouse/rollout"
)

func (a *app) gateCmd() *cobra.Command {
	var (
		configPath, release, baseline, commit, owner string
		changeTypes                                  []string
		jsonOut, mdOut, junitOut                     string
		window                                       time.Duration
	)
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Decide whether a release may ship: exit code plus evidence",
		Long: `Apply the checks of a gate.yaml to the evaluator results of a release on a
dataset version, and answer with an exit code and evidence:

  0 pass   every blocking check met, on complete evidence
  1 fail   a blocking check breached (failing cases named)
  2 hold   evidence incomplete: dataset cases without runs, fewer than
           min_cases scored, trace-contract violations in the evaluated
           runs, a baseline with no results, a checked rule with no results
  3 error  invalid config (a NaN or infinite threshold, a pass rate
           outside 0..1, a second YAML document, an unknown key), unknown
           dataset version, rules that don't compile, a check naming an
           unknown rule or metric, a --change-type the config's
           change_types does not map (and no change_types.default), store
           down, or a decision the store could not record

It fails closed: nothing unexpected passes. Every decision is stored
(gate_decisions), so gate history is queryable; one that cannot be stored
exits 3 and its evidence says "not stored". See docs/gates.md.

A config with a stage: key is a stage gate (docs/rollout.md): it judges the
release's production runs in a window (--window, default the config's
window: or 1h) against a baseline release over the same window, and
answers:

  0 expand    every check met on complete evidence
  1 rollback  a blocking check breached: the evidence names the capability
              to disable and the failing runs (incident open --from-gate ID)
  2 hold      evidence incomplete: fewer than min_runs runs on either side,
              require_kinds missing, trace export stopped (max_export_gap)
  4 narrow    a warning check breached: narrow the cohort or the capability
  3 error     invalid config, a rule that is not a production rule, store
              down, or a decision not stored (stage_decisions)`,
		Example: `  evalhouse gate --config gate.yaml --release 2.4.0 --markdown "$GITHUB_STEP_SUMMARY" --junit gate.xml
  evalhouse gate --config gate.yaml --change-type prompt --baseline 2.3.1 --json evidence.json
  evalhouse gate --config canary.yaml --release 2.5.0 --baseline 2.4.1 --window 30m --markdown canary.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if b, err := os.ReadFile(configPath); err == nil && rollout.IsStageConfig(b) {
				if len(changeTypes) > 0 {
					return &exitError{code: exitInvalid, err: fmt.Errorf("--change-type is for dataset gates: %s is a stage gate (stage:), which judges production runs", configPath)}
				}
				return a.stageGate(cmd, configPath, rollout.Options{Release: release, Baseline: baseline, Window: window,
					Commit: commitSHA(commit), Owner: owner}, jsonOut, mdOut, junitOut)
			} else if window > 0 {
				return &exitError{code: exitInvalid, err: fmt.Errorf("--window is for stage gates (a config with stage:); %s is a dataset gate", configPath)}
			}
			opts := gate.Options{Release: release, Baseline: baseline, Commit: commitSHA(commit), Owner: owner, OptionName: gateFlag}
			for _, ct := range changeTypes {
				for _, p := range strings.Split(ct, ",") {
					if p = strings.TrimSpace(p); p != "" {
						opts.ChangeTypes = append(opts.ChangeTypes, p)
					}
				}
			}
			var d *gate.Decision
			cfg, err := gate.LoadConfig(configPath)
			if err != nil {
				d = gate.Errored(nil, opts, err)
			} else if s, err := a.openMigrated(ctx); err != nil {
				d = gate.Errored(cfg, opts, err)
			} else {
				defer s.Close()
				if d, err = gate.Run(ctx, s.Conn, cfg, opts); err != nil {
					if d == nil {
						d = gate.Errored(cfg, opts, err)
					} else {
						// Not stored: d is now verdict error, exit 3.
						fmt.Fprintln(cmd.ErrOrStderr(), "evalhouse:", err)
					}
				}
			}
			return answer(cmd, d, d.ExitCode, "gate "+string(d.Verdict), jsonOut, mdOut, junitOut)
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "gate.yaml", "the gate configuration")
	cmd.Flags().StringVar(&release, "release", "", "release to judge (overrides the config)")
	cmd.Flags().StringVar(&baseline, "baseline", "", "baseline release (overrides baseline.release)")
	cmd.Flags().StringSliceVar(&changeTypes, "change-type", nil, "kinds of change in this release (prompt,tool,…): only the rules change_types maps them to block, the rest warn; a kind it does not map is an error unless change_types has a default")
	cmd.Flags().StringVar(&commit, "commit", "", "commit SHA for the evidence (default: the CI's, from GITHUB_SHA, CI_COMMIT_SHA, …)")
	cmd.Flags().DurationVar(&window, "window", 0, "stage gates: judge runs started this long before now (overrides window:)")
	cmd.Flags().StringVar(&owner, "owner", "", "release owner (overrides the config)")
	cmd.Flags().StringVar(&jsonOut, "json", "", "write the evidence as JSON to this file")
	cmd.Flags().StringVar(&mdOut, "markdown", "", "write the evidence as Markdown to this file (e.g. $GITHUB_STEP_SUMMARY)")
	cmd.Flags().StringVar(&junitOut, "junit", "", "write the evidence as JUnit XML to this file")
	return cmd
}

// commitSHA is the flag's value, or the CI system's commit.
func commitSHA(flag string) string {
	if flag != "" {
		return flag
	}
	for _, k := range []string{"GITHUB_SHA", "CI_COMMIT_SHA", "BUILDKITE_COMMIT", "CIRCLE_SHA1", "GIT_COMMIT", "BITBUCKET_COMMIT"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// evidence is a decision in the three evidence formats and the terminal's.
type evidence interface {
	WriteText(io.Writer) error
	WriteJSON(io.Writer) error
	WriteMarkdown(io.Writer) error
	WriteJUnit(io.Writer) error
}

// stageOptions are what every stage gate takes from the binary: the
// release record kept in its evidence.
func (a *app) stageOptions() rollout.Options {
	return rollout.Options{Record: func(ctx context.Context, conn driver.Conn, release, environment string) (any, error) {
		return releases.Read(ctx, conn, release, environment)
	}}
}

// stageDecisions lists a release's latest stage gate decisions for its
// record (release show, GET /v1/releases/R).
func stageDecisions(ctx context.Context, conn driver.Conn, release string) ([]releases.Decision, error) {
	ds, err := rollout.Decisions(ctx, conn, release, 10)
	if err != nil {
		return nil, err
	}
	out := make([]releases.Decision, len(ds))
	for i, d := range ds {
		out[i] = releases.Decision{DecisionID: d.DecisionID, DecidedAt: d.DecidedAt, Stage: d.Stage, Baseline: d.Baseline,
			Verdict: string(d.Verdict), ExitCode: d.ExitCode, Runs: d.Samples.Runs, Reasons: d.Reasons}
	}
	return out, nil
}

// stageGate runs a stage gate: the decision is evaluated and stored, its
// evidence written, and its exit code returned.
func (a *app) stageGate(cmd *cobra.Command, path string, opts rollout.Options, jsonOut, mdOut, junitOut string) error {
	ctx := cmd.Context()
	opts.Record = a.stageOptions().Record
	var d *rollout.Decision
	cfg, err := rollout.LoadConfig(path)
	if err != nil {
		// An invalid config is a decision too, on record where the store
		// answers.
		d = rollout.Errored(&rollout.Config{}, opts, err)
		if s, err := a.openMigrated(ctx); err == nil {
			if err := rollout.Record(ctx, s.Conn, d); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "evalhouse:", err)
			}
			s.Close()
		}
	} else if s, err := a.openMigrated(ctx); err != nil {
		d = rollout.Errored(cfg, opts, err)
	} else {
		defer s.Close()
		if d, err = rollout.Run(ctx, s.Conn, cfg, opts); err != nil {
			if d == nil {
				d = rollout.Errored(cfg, opts, err)
			} else {
				fmt.Fprintln(cmd.ErrOrStderr(), "evalhouse:", err)
			}
		}
	}
	return answer(cmd, d, d.ExitCode, "stage gate "+string(d.Verdict), jsonOut, mdOut, junitOut)
}

// answer writes a decision's evidence files and its terminal summary, and
// exits with its code.
func answer(cmd *cobra.Command, d evidence, code int, what, jsonOut, mdOut, junitOut string) error {
	if err := writeEvidence(d, jsonOut, mdOut, junitOut); err != nil {
		return &exitError{code: exitInvalid, err: err}
	}
	d.WriteText(cmd.OutOrStdout())
	if code != exitOK {
		return &exitError{code: code, err: errors.New(what)}
	}
	return nil
}

func writeEvidence(d evidence, jsonPath, mdPath, junitPath string) error {
	for _, o := range []struct {
		path  string
		write func(io.Writer) error
	}{{jsonPath, d.WriteJSON}, {mdPath, d.WriteMarkdown}, {junitPath, d.WriteJUnit}} {
		if o.path == "" {
			continue
		}
		flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if o.path == os.Getenv("GITHUB_STEP_SUMMARY") {
			flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		f, err := os.OpenFile(o.path, flags, 0o644)
		if err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		werr := o.write(f)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("evidence %s: %w", o.path, werr)
		}
	}
	return nil
}
