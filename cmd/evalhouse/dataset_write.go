package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/datasets"
)

// The dataset subcommands that write versions: create, add, approve.

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
					return &exitError{code: exitFailed, err: err}
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
