package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/datasets/incidents"
	"github.com/evalhouse/evalhouse/reports/runs"
	"github.com/evalhouse/evalhouse/rollout"
)

func (a *app) incidentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incident",
		Short: "Open incidents on failed runs and promote them into dataset fixtures",
		Long: `An incident names failed runs by trace id. Promoting it writes each run —
its input redacted again, the behaviour you expect, its provenance and a
snapshot of its trace — into the next version of a dataset, so the next gate
tests it. Promoting the same run twice yields one fixture.`,
	}
	cmd.AddCommand(a.incidentOpenCmd(), a.incidentListCmd(), a.incidentShowCmd(), a.incidentPromoteCmd())
	return cmd
}

// withIncidents runs fn on the migrated store's incidents.
func (a *app) withIncidents(cmd *cobra.Command, fn func(ctx context.Context, inc *incidents.Store) error) error {
	ctx := cmd.Context()
	s, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(ctx, incidents.New(s.Conn, datasets.New(s.Conn)))
}

func (a *app) incidentOpenCmd() *cobra.Command {
	var (
		traces, runIDs         []string
		title, severity, owner string
		fromGate               string
		maxRuns                int
	)
	cmd := &cobra.Command{
		Use:   "open --trace ID|--run RUN_ID|--from-gate DECISION_ID [--trace ID…] [--run RUN_ID…] --title TEXT --severity sev1|sev2|sev3|sev4",
		Short: "Open an incident on one or more traces (or runs, by run id)",
		Long: `Open an incident on failed runs, named by trace id (--trace) or by run id
(--run, as evalhouse runs lists them: the run's trace is looked up). A run
id the store does not hold exits 3; one that several tenants' runs have
exits 2 (name the run by its trace).

--from-gate names a stage gate's rollback decision (the id it printed, sd_…):
the incident opens on that decision's failing runs, worst first (at most
--max-runs), so incident promote turns them into fixtures for the next
dataset version. A decision that did not roll back exits 3.`,
		Example: `  evalhouse incident open --trace 4bf92f3577b34da6a3ce929d0e0e4736 --title "refund issued without approval" --severity sev2 --owner support-oncall
  evalhouse incident open --run run-2.4.0-p04 --title "reset token pasted into chat" --severity sev2
  evalhouse incident open --from-gate sd_5f0c2a9e41b7d3c8 --severity sev2 --owner support-oncall`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.openMigrated(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			all := slices.Clone(traces)
			if fromGate != "" {
				d, err := rollout.Get(ctx, s.Conn, fromGate)
				if err != nil {
					return &exitError{code: exitInvalid, err: fmt.Errorf("--from-gate: %w", err)}
				}
				if d.Verdict != rollout.Rollback || len(d.FailingRuns) == 0 {
					return &exitError{code: exitInvalid, err: fmt.Errorf("--from-gate %s: the decision is %s, not a rollback with failing runs: there is nothing to open an incident on", d.DecisionID, d.Verdict)}
				}
				if title == "" {
					title = fmt.Sprintf("%s rolled back at stage %s (%s)", d.Release, d.Stage, strings.Join(reasonsOf(d), "; "))
				}
				for i, r := range d.FailingRuns {
					if i == maxRuns {
						break
					}
					fmt.Fprintf(cmd.OutOrStdout(), "run %s (tenant %s, %s %.4g): trace %s\n", r.RunID, r.Tenant, r.Check, r.Value, r.TraceID)
					all = append(all, r.TraceID)
				}
			}
			for _, id := range runIDs {
				ref, err := runs.Resolve(ctx, s.Conn, id, "")
				if err != nil {
					return runError(fmt.Errorf("--run %s: %w", id, err))
				}
				fmt.Fprintf(cmd.OutOrStdout(), "run %s (tenant %s): trace %s\n", ref.RunID, ref.Tenant, ref.TraceID)
				all = append(all, ref.TraceID)
			}
			inc, err := incidents.New(s.Conn, datasets.New(s.Conn)).Open(ctx, all, title, severity, owner)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "opened %s: %s (%s) on %d trace(s)\n", inc.ID, inc.Title, inc.Severity, len(inc.TraceIDs))
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&traces, "trace", nil, "trace id of a failed run (repeat for more)")
	cmd.Flags().StringSliceVar(&runIDs, "run", nil, "run id of a failed run, as `evalhouse runs` lists it (repeat for more)")
	cmd.Flags().StringVar(&fromGate, "from-gate", "", "a stage gate's rollback decision id (sd_…): open on its failing runs")
	cmd.Flags().IntVar(&maxRuns, "max-runs", 20, "with --from-gate: at most this many of the failing runs, worst first")
	cmd.Flags().StringVar(&title, "title", "", "what went wrong (with --from-gate, default: the release, stage and breached checks)")
	cmd.Flags().StringVar(&severity, "severity", "sev3", "sev1, sev2, sev3 or sev4")
	cmd.Flags().StringVar(&owner, "owner", os.Getenv("USER"), "who owns the incident")
	return cmd
}

func (a *app) incidentListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List incidents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withIncidents(cmd, func(ctx context.Context, is *incidents.Store) error {
				all, err := is.List(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSEVERITY\tSTATUS\tOPENED\tTRACES\tPROMOTED TO\tTITLE")
				for _, i := range all {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", i.ID, i.Severity, i.Status, i.OpenedAt.Format("2006-01-02 15:04"), len(i.TraceIDs), i.PromotedTo, i.Title)
				}
				return tw.Flush()
			})
		},
	}
}

func (a *app) incidentShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show INC",
		Short: "Show one incident",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withIncidents(cmd, func(ctx context.Context, is *incidents.Store) error {
				inc, err := is.Get(ctx, args[0])
				if err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), inc)
			})
		},
	}
}

func (a *app) incidentPromoteCmd() *cobra.Command {
	var (
		datasetName, expect, expectFile, by string
		draft, asJSON                       bool
	)
	cmd := &cobra.Command{
		Use:   "promote INC --dataset NAME --expect JSON",
		Short: "Promote an incident's runs into the next version of a dataset",
		Example: `  evalhouse incident promote INC-1 --dataset support-bot --expect '{"must_not_call":["issue_refund"],"must_escalate":true}'
  evalhouse incident promote INC-1 --dataset support-bot --expect-file expect.json --draft
  evalhouse dataset approve support-bot@v2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			exp, err := readExpect(expect, expectFile)
			if err != nil {
				return err
			}
			return a.withIncidents(cmd, func(ctx context.Context, is *incidents.Store) error {
				res, err := is.Promote(ctx, args[0], datasetName, exp, firstNonEmpty(by, os.Getenv("USER"), "unknown"), draft)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), res)
				}
				printPromoted(cmd.OutOrStdout(), res, draft)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&datasetName, "dataset", "", "dataset to add the fixture to (created if new)")
	cmd.Flags().StringVar(&expect, "expect", "", `expected behaviour, a JSON object, e.g. '{"must_escalate":true}'`)
	cmd.Flags().StringVar(&expectFile, "expect-file", "", "read the expected behaviour from this JSON file")
	cmd.Flags().BoolVar(&draft, "draft", false, "stage the new version as a draft for review")
	cmd.Flags().StringVar(&by, "by", "", "who promotes (default $USER)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.MarkFlagRequired("dataset")
	return cmd
}

// readExpect is promote's expected behaviour: --expect's JSON object, or
// --expect-file's; exactly one must be given.
func readExpect(expect, expectFile string) (map[string]any, error) {
	if (expect == "") == (expectFile == "") {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("give the expected behaviour with --expect JSON or --expect-file FILE")}
	}
	raw := []byte(expect)
	if expectFile != "" {
		b, err := os.ReadFile(expectFile)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	var exp map[string]any
	if err := json.Unmarshal(raw, &exp); err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("--expect: want a JSON object: %v", err)}
	}
	return exp, nil
}

// printPromoted says what a promotion wrote.
func printPromoted(out io.Writer, res incidents.PromoteResult, draft bool) {
	ids := make([]string, len(res.Cases))
	for i, c := range res.Cases {
		ids[i] = c.CaseID
	}
	state := "published"
	if draft {
		state = "draft: publish it with `evalhouse dataset approve " + res.Version.Ref() + "`"
	}
	if res.Created {
		fmt.Fprintf(out, "promoted %s → %s (%s): fixture %s\n", res.Incident.ID, res.Version.Ref(), state, strings.Join(ids, ", "))
	} else {
		fmt.Fprintf(out, "%s is already in %s: no new version\n", strings.Join(ids, ", "), res.Version.Ref())
	}
}

// reasonsOf names a rollback's breached blocking checks.
func reasonsOf(d *rollout.Decision) []string {
	var out []string
	for _, c := range d.Checks {
		if c.Status == rollout.StatusBreach && c.Severity == rollout.SeverityBlocking {
			out = append(out, c.Name)
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
