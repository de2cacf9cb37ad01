package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/datasets"
)

func (a *app) datasetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dataset",
		Short: "Versioned datasets of cases: create, add, list, show, diff, export, log, approve",
		Long: `A dataset is a named, versioned set of cases (case_id, input, expected,
tags, change_types) that releases are run against. Versions are immutable
and numbered v1, v2, …; each has a content hash over its canonical cases, so
the same cases hash the same from JSONL, Parquet or the store. A version is
published or a draft; NAME and NAME@latest mean the latest published
version, a draft is reached only as NAME@vN until it is approved.

Files are JSON Lines (.jsonl, .ndjson: one case per line) or Parquet
(.parquet). See docs/datasets.md.

Every version records who created it and who approved (published) it:
--by on create, add and approve, else the OS user running the command (the
account database, os/user, else $USER). A version published as it is
written is approved by its author; dataset log shows both.`,
		Example: `  evalhouse dataset create support-bot --from examples/datasets/support-bot-v1.jsonl
  evalhouse dataset add support-bot --from new-cases.jsonl --draft --note "INC-4521 regression"
  evalhouse dataset approve support-bot@v2
  evalhouse dataset diff support-bot@v1 support-bot@v2
  evalhouse dataset export support-bot@v2 -o support-bot-v2.parquet`,
	}
	cmd.AddCommand(a.datasetCreateCmd(), a.datasetAddCmd(), a.datasetListCmd(), a.datasetShowCmd(),
		a.datasetDiffCmd(), a.datasetExportCmd(), a.datasetLogCmd(), a.datasetApproveCmd())
	return cmd
}

// withDatasets runs fn on the migrated store's datasets.
func (a *app) withDatasets(cmd *cobra.Command, fn func(ctx context.Context, ds *datasets.Store) error) error {
	ctx := cmd.Context()
	s, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(ctx, datasets.New(s.Conn))
}

type dsWriteFlags struct {
	from, note, by string
	draft          bool
}

func (f *dsWriteFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.from, "from", "", "the cases: a .jsonl, .ndjson or .parquet file (required)")
	cmd.Flags().StringVar(&f.note, "note", "", "why this version exists, kept with it")
	cmd.Flags().StringVar(&f.by, "by", "", "who writes it, kept as the version's created_by (default: the OS user, from the account database, else $USER)")
	cmd.MarkFlagRequired("from")
}

func (f dsWriteFlags) read() ([]datasets.Case, datasets.Provenance, error) {
	cases, err := datasets.ReadCases(f.from)
	if err != nil {
		return nil, datasets.Provenance{}, err
	}
	if len(cases) == 0 {
		return nil, datasets.Provenance{}, fmt.Errorf("%s holds no cases", f.from)
	}
	return cases, datasets.Provenance{By: f.by, Source: f.from, Note: f.note}, nil
}

func (a *app) datasetCreateCmd() *cobra.Command {
	var f dsWriteFlags
	cmd := &cobra.Command{
		Use:   "create NAME --from FILE",
		Short: "Create a dataset: its v1, published, from a file of cases",
		Long: `Create dataset NAME with v1 (published) holding the file's cases. NAME is
lower-case letters, digits, '.', '_' and '-'. It fails if NAME exists; use
add for the next version.`,
		Example: `  evalhouse dataset create support-bot --from examples/datasets/support-bot-v1.jsonl
  evalhouse dataset create support-bot-copy --from support-bot-v1.parquet --note "restored"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cases, p, err := f.read()
			if err != nil {
				return err
			}
			return a.withDatasets(cmd, func(ctx context.Context, ds *datasets.Store) error {
				v, err := ds.Create(ctx, args[0], cases, p)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created %s (%s): %d cases, sha256 %s\n", v.Ref(), v.Status, v.Cases, v.Hash)
				return nil
			})
		},
	}
	f.register(cmd)
	return cmd
}

func (a *app) datasetAddCmd() *cobra.Command {
	var f dsWriteFlags
	cmd := &cobra.Command{
		Use:   "add NAME --from FILE",
		Short: "Write the next version: the latest published one plus the file's cases",
		Long: `Write NAME's next version: the latest published version's cases, with the
file's cases added (new case ids) or replacing those with the same case id.
If that changes nothing, no version is written. With --draft the version is
a draft: NAME keeps resolving to the published one until the draft is
approved (dataset approve NAME@vN).`,
		Example: `  evalhouse dataset add support-bot --from more-cases.jsonl --note "cover partial refunds"
  evalhouse dataset add support-bot --from incident-cases.jsonl --draft --by oncall`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cases, p, err := f.read()
			if err != nil {
				return err
			}
			return a.withDatasets(cmd, func(ctx context.Context, ds *datasets.Store) error {
				base, err := ds.Resolve(ctx, args[0])
				if err != nil {
					return err
				}
				v, created, err := ds.Add(ctx, args[0], cases, p, f.draft)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if !created {
					fmt.Fprintf(out, "no change: %s already holds these cases (sha256 %s); no version written\n", v.Ref(), dsShort(v.Hash))
					return nil
				}
				d, err := ds.Diff(ctx, base, v)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "added %s (%s): %d cases (%d added, %d changed since %s), sha256 %s\n",
					v.Ref(), v.Status, v.Cases, len(d.Added), len(d.Changed), base.Ref(), v.Hash)
				if v.Status == datasets.StatusDraft {
					fmt.Fprintf(out, "publish it with: evalhouse dataset approve %s\n", v.Ref())
				}
				return nil
			})
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&f.draft, "draft", false, "write a draft, published only by dataset approve")
	return cmd
}

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
					return dsJSON(cmd.OutOrStdout(), dsOrEmpty(vs))
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
					return dsJSON(out, struct {
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
					return dsJSON(out, d)
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
					return dsJSON(cmd.OutOrStdout(), vs)
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

func (a *app) datasetApproveCmd() *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "approve NAME@vN",
		Short: "Publish a draft version",
		Long: `Publish draft NAME@vN: NAME and NAME@latest resolve to it from now on. A
draft is stale, and refused, when another version was published after it
was written; add its cases again as a new draft. The version records who
approved it: --by, else the OS user (dataset log shows it).`,
		Example: `  evalhouse dataset approve support-bot@v3
  evalhouse dataset approve support-bot@v3 --by release-lead`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, n, err := datasets.ParseRef(args[0])
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("approve needs an explicit version: %s@vN (see dataset log %s)", name, name)
			}
			return a.withDatasets(cmd, func(ctx context.Context, ds *datasets.Store) error {
				before, err := ds.Resolve(ctx, args[0])
				if err != nil {
					return err
				}
				v, err := ds.ApproveBy(ctx, name, n, by)
				if errors.Is(err, datasets.ErrStale) {
					return &exitError{code: 1, err: err}
				}
				if err != nil {
					return err
				}
				if before.Status == datasets.StatusPublished {
					fmt.Fprintf(cmd.OutOrStdout(), "%s is already published\n", v.Ref())
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "published %s (approved by %s): %d cases, sha256 %s; %s now resolves to it\n", v.Ref(), v.ApprovedBy, v.Cases, v.Hash, name)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who approves it, kept as the version's approved_by (default: the OS user, from the account database, else $USER)")
	return cmd
}

func dsPrintHeader(out io.Writer, v datasets.Version) {
	fmt.Fprintf(out, "%s  %s\n", v.Ref(), v.Status)
	fmt.Fprintf(out, "  hash     sha256 %s\n", v.Hash)
	fmt.Fprintf(out, "  cases    %d\n", v.Cases)
	fmt.Fprintf(out, "  created  %s by %s\n", dsWhen(v.CreatedAt), v.CreatedBy)
	if !v.PublishedAt.IsZero() {
		fmt.Fprintf(out, "  approved %s by %s\n", dsWhen(v.PublishedAt), dsDash(v.ApprovedBy))
	}
	fmt.Fprintf(out, "  source   %s\n", dsDash(v.Source))
	if v.Note != "" {
		fmt.Fprintf(out, "  note     %s\n", v.Note)
	}
}

func dsTable(out io.Writer, cols ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	return tw
}

func dsJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func dsOrEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// dsShort is a hash's first 12 hex digits, enough to tell versions apart.
func dsShort(hash string) string { return hash[:min(12, len(hash))] }

func dsWhen(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

func dsDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// dsBrief renders a JSON value on one line, cut to n runes: a string as
// itself, a chat input ({"messages": [..., {"content": …}]}) as its last
// message, anything else as compact JSON.
func dsBrief(v any, n int) string {
	s, ok := v.(string)
	if m, isMap := v.(map[string]any); isMap {
		if msgs, _ := m["messages"].([]any); len(msgs) > 0 {
			last, _ := msgs[len(msgs)-1].(map[string]any)
			s, ok = last["content"].(string)
		}
	}
	if !ok {
		b, _ := json.Marshal(v)
		s = string(b)
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
