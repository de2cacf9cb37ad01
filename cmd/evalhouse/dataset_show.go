package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/datasets"
)

// The dataset subcommands that read versions: list, show, diff, export, log.

func (a *app) datasetListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List datasets with their latest published version",
		Example: `  evalhouse dataset list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDatasets(cmd, func(ctx context.Context, ds *datasets.Store) error {
				vs, err := ds.List(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), dsOrEmpty(vs))
				}
				if len(vs) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "no datasets yet: evalhouse dataset create NAME --from FILE")
					return nil
				}
				tw := dsTable(cmd.OutOrStdout(), "NAME", "LATEST", "CASES", "HASH", "CREATED", "BY", "DRAFTS")
				for _, v := range vs {
					log, err := ds.Log(ctx, v.Name)
					if err != nil {
						return err
					}
					drafts := 0
					for _, w := range log {
						if w.Status == datasets.StatusDraft && w.Number > v.Number {
							drafts++
						}
					}
					fmt.Fprintf(tw, "%s\tv%d\t%d\t%s\t%s\t%s\t%d\n", v.Name, v.Number, v.Cases, dsShort(v.Hash), dsWhen(v.CreatedAt), v.CreatedBy, drafts)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the versions as JSON")
	return cmd
}

func (a *app) datasetShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME[@vN]",
		Short: "Show a version and its cases",
		Example: `  evalhouse dataset show support-bot
  evalhouse dataset show support-bot@v2 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDatasets(cmd, func(ctx context.Context, ds *datasets.Store) error {
				v, err := ds.Resolve(ctx, args[0])
				if err != nil {
					return err
				}
				cases, err := ds.Cases(ctx, v)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if asJSON {
					return printJSON(out, struct {
						Version datasets.Version `json:"version"`
						Cases   []datasets.Case  `json:"cases"`
					}{v, cases})
				}
				dsPrintHeader(out, v)
				fmt.Fprintln(out)
				tw := dsTable(out, "CASE", "TAGS", "CHANGE_TYPES", "INPUT", "EXPECTED")
				for _, c := range cases {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.CaseID, strings.Join(c.Tags, ","), dsDash(strings.Join(c.ChangeTypes, ",")), dsBrief(c.Input, 48), dsBrief(c.Expected, 60))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version and its cases as JSON")
	return cmd
}

func (a *app) datasetDiffCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff NAME@vA NAME@vB",
		Short: "Show cases added, removed and changed between two versions",
		Example: `  evalhouse dataset diff support-bot@v1 support-bot@v2
  evalhouse dataset diff support-bot@v3 support-bot --json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDatasets(cmd, func(ctx context.Context, ds *datasets.Store) error {
				from, err := ds.Resolve(ctx, args[0])
				if err != nil {
					return err
				}
				to, err := ds.Resolve(ctx, args[1])
				if err != nil {
					return err
				}
				d, err := ds.Diff(ctx, from, to)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if asJSON {
					return printJSON(out, d)
				}
				fmt.Fprintf(out, "%s (sha256 %s) → %s (sha256 %s)\n", from.Ref(), dsShort(from.Hash), to.Ref(), dsShort(to.Hash))
				if d.Empty() {
					fmt.Fprintln(out, "no differences")
					return nil
				}
				for _, id := range d.Added {
					fmt.Fprintf(out, "  + %s\n", id)
				}
				for _, id := range d.Removed {
					fmt.Fprintf(out, "  - %s\n", id)
				}
				for _, c := range d.Changed {
					fmt.Fprintf(out, "  ~ %s  (%s)\n", c.CaseID, strings.Join(c.Fields, ", "))
				}
				fmt.Fprintf(out, "%d added, %d removed, %d changed\n", len(d.Added), len(d.Removed), len(d.Changed))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the diff as JSON")
	return cmd
}

func (a *app) datasetExportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export NAME[@vN] -o FILE",
		Short: "Write a version's cases to a .parquet or .jsonl file",
		Long: `Write a version's cases to FILE, Parquet or JSON Lines by its extension, in
canonical form and case id order. Creating a dataset from the file gives
the same content hash.`,
		Example: `  evalhouse dataset export support-bot@v2 -o support-bot-v2.parquet
  evalhouse dataset export support-bot -o latest.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDatasets(cmd, func(ctx context.Context, ds *datasets.Store) error {
				v, err := ds.Resolve(ctx, args[0])
				if err != nil {
					return err
				}
				cases, err := ds.Cases(ctx, v)
				if err != nil {
					return err
				}
				if err := datasets.WriteCases(out, cases); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "exported %s (%d cases, sha256 %s) to %s\n", v.Ref(), len(cases), v.Hash, out)
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the file to write: .parquet, .jsonl or .ndjson (required)")
	cmd.MarkFlagRequired("output")
	return cmd
}

func (a *app) datasetLogCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "log NAME",
		Short: "List every version of a dataset: number, hash, status, cases, who created and approved it, when, source",
		Long: `List every version of NAME, oldest first: its number, content hash,
status, case count, who created it and when, who approved (published) it
and when, its source and note. CREATED_BY and APPROVED_BY are the --by of
the create/add and approve commands, else the OS user who ran them; a
version published as it was written was approved by its author; a draft
has no approver yet (-).`,
		Example: `  evalhouse dataset log support-bot
  evalhouse dataset log support-bot --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDatasets(cmd, func(ctx context.Context, ds *datasets.Store) error {
				vs, err := ds.Log(ctx, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), vs)
				}
				tw := dsTable(cmd.OutOrStdout(), "VERSION", "HASH", "STATUS", "CASES", "CREATED_BY", "CREATED", "APPROVED_BY", "APPROVED", "SOURCE", "NOTE")
				for _, v := range vs {
					approved := "-"
					if !v.PublishedAt.IsZero() {
						approved = dsWhen(v.PublishedAt)
					}
					fmt.Fprintf(tw, "v%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Number, dsShort(v.Hash), v.Status, v.Cases,
						dsDash(v.CreatedBy), dsWhen(v.CreatedAt), dsDash(v.ApprovedBy), approved, dsDash(v.Source), dsDash(v.Note))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the versions as JSON")
	return cmd
}
