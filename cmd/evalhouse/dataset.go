package main

import (
	"context"
	"encoding/json"
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
