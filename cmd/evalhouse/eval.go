package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/evaluators"
)

func (a *app) evalCmd() *cobra.Command {
	var (
		datasetRef, release, rulesDir, environment string
		since                                      time.Duration
		asJSON                                     bool
	)
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Score runs with the rules: a dataset version's runs for a release, or recent production runs",
		Long: `Score runs with the rules in --rules and store one result per run, case,
rule and rule version (re-running replaces them: it is idempotent).

Dataset mode (--dataset NAME@vN --release R) scores the runs of release R
that executed that dataset version (runs carry dataset and case_id), with the
rules whose scope is dataset or both, and reports dataset cases with no run.

Production mode (--environment production --since 24h) scores the runs of an
environment with the rules whose scope is production or both, for trends and
canary gates.`,
		Example: `  evalhouse eval --dataset support-bot@v1 --release 2.4.0 --rules examples/rules
  evalhouse eval --environment production --since 24h --rules rules/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if (datasetRef == "") == (environment == "") {
				return &exitError{code: exitUsage, err: fmt.Errorf("give --dataset NAME@vN --release R, or --environment ENV --since D")}
			}
			if datasetRef != "" && release == "" {
				return &exitError{code: exitUsage, err: fmt.Errorf("--dataset needs --release")}
			}
			rs, err := evaluators.LoadDir(rulesDir)
			if err != nil {
				return &exitError{code: exitInvalid, err: err}
			}
			s, err := a.openMigrated(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			var res evaluators.ScoreResult
			what := ""
			if datasetRef != "" {
				suite, err := evaluators.OpenSuite(ctx, datasets.New(s.Conn), datasetRef)
				if err != nil {
					return &exitError{code: exitInvalid, err: err}
				}
				if res, err = evaluators.ScoreSuite(ctx, s.Conn, rs, suite, release); err != nil {
					return err
				}
				what = fmt.Sprintf("release %s on %s", release, suite.Version.Ref())
			} else {
				if res, err = evaluators.ScoreProduction(ctx, s.Conn, rs, environment, time.Now().Add(-since)); err != nil {
					return err
				}
				what = fmt.Sprintf("%s runs of the last %s", environment, since)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return printJSON(out, res)
			}
			fmt.Fprintf(out, "scored %s: %d runs, %d results (%d passed, %d failed, %d errors) with %d rules\n",
				what, res.Runs, res.Results, res.Passed, res.Failed, res.Errors, len(rs.Rules))
			if len(res.MissingCases) > 0 {
				fmt.Fprintf(out, "  %d dataset cases have no run: %s\n", len(res.MissingCases), strings.Join(res.MissingCases, ", "))
			}
			if len(res.UnknownCases) > 0 {
				fmt.Fprintf(out, "  %d runs name cases the dataset version lacks: %s\n", len(res.UnknownCases), strings.Join(res.UnknownCases, ", "))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&datasetRef, "dataset", "", "dataset version whose runs to score (NAME@vN or NAME@latest)")
	cmd.Flags().StringVar(&release, "release", "", "release whose runs to score (with --dataset)")
	cmd.Flags().StringVar(&rulesDir, "rules", "rules", "directory of rule files (*.yaml)")
	cmd.Flags().StringVar(&environment, "environment", "", "score this environment's runs instead (e.g. production)")
	cmd.Flags().DurationVar(&since, "since", 24*time.Hour, "with --environment: runs started this long ago or later")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
