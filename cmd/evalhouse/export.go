package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/evalhouse/evalhouse/ingest/parquet"
	"github.com/evalhouse/evalhouse/reports"
)

// progressRows is the export size from which a terminal gets a progress bar.
const progressRows = 100000

type exportFlags struct {
	since, until                 string
	tenant, environment, release string
	output                       string
}

func (a *app) exportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write stored data to files (agent events to Parquet)",
	}
	var f exportFlags
	events := &cobra.Command{
		Use:   "events -o FILE.parquet",
		Short: "Write agent events to a Parquet file",
		Long: `Write the agent_events rows the filters select to one Parquet file: one row
per event, every column of the table (see docs/parquet.md), ordered by
tenant, environment, ts and event_id, zstd-compressed.

The file is written to FILE.tmp and renamed to FILE once complete, so FILE
is never half-written. ` + "`evalhouse ingest FILE.parquet`" + ` loads it back: into
the same store it adds nothing, into another it reproduces the rows.

--since and --until take an RFC 3339 time (2026-11-20T09:00:00Z) or a
duration before now (90m, 24h, 7d); since is inclusive, until exclusive.`,
		Example: `  evalhouse export events -o events.parquet
  evalhouse export events --tenant acme --environment production --since 24h -o last-day.parquet
  evalhouse export events --release 2.4.0 --since 2026-11-01T00:00:00Z --until 2026-12-01T00:00:00Z -o nov.parquet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runExportEvents(cmd, f)
		},
	}
	fl := events.Flags()
	fl.StringVar(&f.since, "since", "", "only events at or after this time (RFC 3339, or a duration before now: 24h, 7d)")
	fl.StringVar(&f.until, "until", "", "only events before this time (RFC 3339, or a duration before now)")
	fl.StringVar(&f.tenant, "tenant", "", "only this tenant")
	fl.StringVar(&f.environment, "environment", "", "only this environment")
	fl.StringVar(&f.release, "release", "", "only this release")
	fl.StringVarP(&f.output, "output", "o", "", "the Parquet file to write (- for standard output)")
	events.MarkFlagRequired("output")
	cmd.AddCommand(events)
	return cmd
}

func (a *app) runExportEvents(cmd *cobra.Command, f exportFlags) error {
	ctx := cmd.Context()
	now := time.Now().UTC()
	filter := parquet.Filter{Tenant: f.tenant, Environment: f.environment, Release: f.release}
	var err error
	if filter.Since, err = parseWhen("--since", f.since, now); err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if filter.Until, err = parseWhen("--until", f.until, now); err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if !filter.Since.IsZero() && !filter.Until.IsZero() && !filter.Since.Before(filter.Until) {
		return &exitError{code: exitUsage, err: fmt.Errorf("--since %s is not before --until %s", filter.Since.Format(time.RFC3339), filter.Until.Format(time.RFC3339))}
	}
	s, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer s.Close()

	opts := parquet.ExportOptions{Metadata: map[string]string{
		"evalhouse.version":     version,
		"evalhouse.exported_at": now.Format(time.RFC3339),
		"evalhouse.filter":      describeFilter(filter),
	}}
	if term.IsTerminal(int(os.Stderr.Fd())) {
		if total, err := parquet.Count(ctx, s.Conn, filter); err == nil && total >= progressRows {
			bar := progressbar.Default(int64(total), "export")
			defer bar.Finish()
			opts.Progress = func(rows int64) { bar.Set64(rows) }
		}
	}

	if f.output == "-" {
		bw := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<20)
		n, err := parquet.Export(ctx, s.Conn, filter, bw, opts)
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d rows to standard output\n", n)
		return nil
	}
	n, size, err := exportToFile(ctx, f.output, func(w io.Writer) (int64, error) {
		return parquet.Export(ctx, s.Conn, filter, w, opts)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %d rows to %s (%s)\n", n, f.output, humanBytes(size))
	return nil
}

// exportToFile runs write into path+".tmp" and renames it to path once
// complete; on failure the temporary file is removed and path untouched.
func exportToFile(ctx context.Context, path string, write func(io.Writer) (int64, error)) (int64, int64, error) {
	tmp := path + ".tmp"
	file, err := os.Create(tmp)
	if err != nil {
		return 0, 0, err
	}
	fail := func(err error) (int64, int64, error) {
		file.Close()
		os.Remove(tmp)
		return 0, 0, err
	}
	bw := bufio.NewWriterSize(file, 1<<20)
	n, err := write(bw)
	if err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := file.Sync(); err != nil {
		return fail(err)
	}
	st, err := file.Stat()
	if err != nil {
		return fail(err)
	}
	if err := file.Close(); err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		os.Remove(tmp)
		return 0, 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, 0, err
	}
	return n, st.Size(), nil
}

// parseWhen reads a --since/--until value (reports.ParseWhen): "" is
// unbounded.
func parseWhen(flag, v string, now time.Time) (time.Time, error) {
	return reports.ParseWhen(flag, v, now)
}

// describeFilter renders f for the file's metadata.
func describeFilter(f parquet.Filter) string {
	var parts []string
	if !f.Since.IsZero() {
		parts = append(parts, "since="+f.Since.Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		parts = append(parts, "until="+f.Until.Format(time.RFC3339Nano))
	}
	for _, kv := range [][2]string{{"tenant", f.Tenant}, {"environment", f.Environment}, {"release", f.Release}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, " ")
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
