package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/datasets/incidents"
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
	var (
		traces                 []string
		title, severity, owner string
		datasetName, expect    string
		expectFile             string
		draft, asJSON          bool
	)
	open := &cobra.Command{
		Use:     "open --trace ID [--trace ID…] --title TEXT --severity sev1|sev2|sev3|sev4",
		Short:   "Open an incident on one or more traces",
		Example: `  evalhouse incident open --trace 4bf92f3577b34da6a3ce929d0e0e4736 --title "refund issued without approval" --severity sev2 --owner support-oncall`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			inc, err := incidents.New(s.Conn, datasets.New(s.Conn)).Open(cmd.Context(), traces, title, severity, owner)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "opened %s: %s (%s) on %d trace(s)\n", inc.ID, inc.Title, inc.Severity, len(inc.TraceIDs))
			return nil
		},
	}
	open.Flags().StringSliceVar(&traces, "trace", nil, "trace id of a failed run (repeat for more)")
	open.Flags().StringVar(&title, "title", "", "what went wrong")
	open.Flags().StringVar(&severity, "severity", "sev3", "sev1, sev2, sev3 or sev4")
	open.Flags().StringVar(&owner, "owner", os.Getenv("USER"), "who owns the incident")

	list := &cobra.Command{
		Use:   "list",
		Short: "List incidents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			all, err := incidents.New(s.Conn, datasets.New(s.Conn)).List(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSEVERITY\tSTATUS\tOPENED\tTRACES\tPROMOTED TO\tTITLE")
			for _, i := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", i.ID, i.Severity, i.Status, i.OpenedAt.Format("2006-01-02 15:04"), len(i.TraceIDs), i.PromotedTo, i.Title)
			}
			return tw.Flush()
		},
	}
	show := &cobra.Command{
		Use:   "show INC",
		Short: "Show one incident",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			inc, err := incidents.New(s.Conn, datasets.New(s.Conn)).Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(inc)
		},
	}
	promote := &cobra.Command{
		Use:   "promote INC --dataset NAME --expect JSON",
		Short: "Promote an incident's runs into the next version of a dataset",
		Example: `  evalhouse incident promote INC-1 --dataset support-bot --expect '{"must_not_call":["issue_refund"],"must_escalate":true}'
  evalhouse incident promote INC-1 --dataset support-bot --expect-file expect.json --draft
  evalhouse dataset approve support-bot@v2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (expect == "") == (expectFile == "") {
				return &exitError{code: 2, err: fmt.Errorf("give the expected behaviour with --expect JSON or --expect-file FILE")}
			}
			raw := []byte(expect)
			if expectFile != "" {
				b, err := os.ReadFile(expectFile)
				if err != nil {
					return err
				}
				raw = b
			}
			var exp map[string]any
			if err := json.Unmarshal(raw, &exp); err != nil {
				return &exitError{code: 2, err: fmt.Errorf("--expect: want a JSON object: %v", err)}
			}
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			by := firstNonEmpty(owner, os.Getenv("USER"), "unknown")
			res, err := incidents.New(s.Conn, datasets.New(s.Conn)).Promote(cmd.Context(), args[0], datasetName, exp, by, draft)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			ids := make([]string, len(res.Cases))
			for i, c := range res.Cases {
				ids[i] = c.CaseID
			}
			state := "published"
			if draft {
				state = "draft: publish it with `evalhouse dataset approve " + res.Version.Ref() + "`"
			}
			if res.Created {
				fmt.Fprintf(cmd.OutOrStdout(), "promoted %s → %s (%s): fixture %s\n", res.Incident.ID, res.Version.Ref(), state, strings.Join(ids, ", "))
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s is already in %s: no new version\n", strings.Join(ids, ", "), res.Version.Ref())
			}
			return nil
		},
	}
	promote.Flags().StringVar(&datasetName, "dataset", "", "dataset to add the fixture to (created if new)")
	promote.Flags().StringVar(&expect, "expect", "", `expected behaviour, a JSON object, e.g. '{"must_escalate":true}'`)
	promote.Flags().StringVar(&expectFile, "expect-file", "", "read the expected behaviour from this JSON file")
	promote.Flags().BoolVar(&draft, "draft", false, "stage the new version as a draft for review")
	promote.Flags().StringVar(&owner, "by", "", "who promotes (default $USER)")
	promote.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	promote.MarkFlagRequired("dataset")
	cmd.AddCommand(open, list, show, promote)
	return cmd
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
