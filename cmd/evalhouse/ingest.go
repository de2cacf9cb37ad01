package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/redact"
	"github.com/evalhouse/evalhouse/ingest/sources"
)

type ingestFlags struct {
	strict     bool
	deadLetter string
	retention  string
	batchSize  int
	jsonOut    bool
	noEmails   bool
}

func (a *app) ingestCmd() *cobra.Command {
	var f ingestFlags
	cmd := &cobra.Command{
		Use:   "ingest FILE...",
		Short: "Load events (envelope NDJSON, OTLP files, Parquet) into the store",
		Long: `Read events from files or standard input (-), gzip-compressed or not:
evalhouse's envelope format (one JSON object per line; docs/envelope.md),
OTLP trace files (*.otlp.json, *.otlp.pb; docs/otlp.md) or Parquet exports
(*.parquet; docs/parquet.md). Then store them: secrets redacted first,
events checked against the trace contract, duplicates dropped (ingesting a
file twice stores it once).

A malformed line is rejected with its line number and reason; every other
line still lands. Rejected lines go, redacted, to --dead-letter when given.
The exit code is 0 when every line landed, 1 when some were rejected.`,
		Example: `  evalhouse ingest examples/support-agent/events-2.4.0.ndjson
  zcat events.ndjson.gz | evalhouse ingest -
  evalhouse ingest --strict --dead-letter rejected.ndjson day1.ndjson.gz day2.ndjson.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runIngest(cmd, args, f)
		},
	}
	cmd.Flags().BoolVar(&f.strict, "strict", false, "reject events that break the trace contract instead of storing them with the violation recorded")
	cmd.Flags().StringVar(&f.deadLetter, "dead-letter", "", "append rejected lines (redacted, with line number and reason) to this file")
	cmd.Flags().StringVar(&f.retention, "retention", "standard", "storage retention class: short (7d), standard (90d), long (400d), audit (7y); policy and approval events are always audit")
	cmd.Flags().IntVar(&f.batchSize, "batch-size", 10000, "events per insert")
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print the summary as JSON")
	cmd.Flags().BoolVar(&f.noEmails, "keep-emails", false, "do not redact e-mail addresses")
	cmd.AddCommand(a.ingestKafkaCmd())
	return cmd
}

func (a *app) runIngest(cmd *cobra.Command, files []string, f ingestFlags) error {
	ctx := cmd.Context()
	s, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	var dl io.Writer
	if f.deadLetter != "" {
		file, err := os.OpenFile(f.deadLetter, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("--dead-letter: %w", err)
		}
		defer file.Close()
		// Unbuffered: rejected lines are few, and a failed write (a full
		// disk) must stop the ingest at that line, not vanish in a buffer.
		dl = file
	}
	rcfg := redact.DefaultConfig()
	rcfg.Emails = !f.noEmails
	w := ingest.NewWriter(s.Conn, f.batchSize, 0)
	p, err := ingest.NewPipeline(w, ingest.Options{
		Strict: f.strict, Redactor: redact.New(rcfg), BatchSize: f.batchSize, Retention: f.retention,
		DeadLetter: dl, Urgent: true, Log: a.log,
	})
	if err != nil {
		return err
	}
	for _, name := range files {
		if err := ingestFile(cmd, p, name); err != nil {
			// Rows already flushed stay; say what landed before failing.
			sum, _ := p.Close(ctx)
			printSummary(cmd.OutOrStdout(), sum, f.jsonOut)
			return err
		}
	}
	sum, err := p.Close(ctx)
	printSummary(cmd.OutOrStdout(), sum, f.jsonOut)
	if err != nil {
		return err
	}
	if sum.Rejected+sum.Expired > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("%d line(s) rejected and %d expired (not stored); every other line landed", sum.Rejected, sum.Expired)}
	}
	return nil
}

// ingestFile streams one file (or stdin) through the pipeline in its
// format (sources.FileFormat), with a progress bar on a terminal for files
// over 8 MiB.
func ingestFile(cmd *cobra.Command, p *ingest.Pipeline, name string) error {
	return sources.ReadFile(cmd.Context(), p, name, sources.FileOptions{
		Stdin: cmd.InOrStdin(),
		Warn:  cmd.ErrOrStderr(),
		Wrap: func(r io.Reader, name string, size int64) (io.Reader, func()) {
			if size <= 8<<20 || !term.IsTerminal(int(os.Stderr.Fd())) {
				return r, func() {}
			}
			bar := progressbar.DefaultBytes(size, "ingest "+name)
			return io.TeeReader(r, bar), func() { bar.Finish() }
		},
	})
}

func printSummary(out io.Writer, s ingest.Summary, asJSON bool) {
	if asJSON {
		printJSON(out, s)
		return
	}
	fmt.Fprintf(out, "accepted %d, rejected %d, expired %d, duplicates %d, redactions %d, contract violations %d (in %d events)\n",
		s.Accepted, s.Rejected, s.Expired, s.Duplicates, s.Redactions.Total(), sumValues(s.Violations), s.ViolatingEvents)
	if len(s.Redactions) > 0 {
		fmt.Fprintf(out, "  redacted: %s\n", joinCounts(s.Redactions))
	}
	if len(s.Violations) > 0 {
		fmt.Fprintf(out, "  contract: %s\n", joinCounts(s.Violations))
	}
	for _, e := range s.Errors {
		if strings.HasPrefix(e.Reason, "expired:") {
			fmt.Fprintf(out, "  %s\n", e.Error())
		} else {
			fmt.Fprintf(out, "  rejected %s\n", e.Error())
		}
	}
	if n := s.Rejected + s.Expired; n > len(s.Errors) {
		fmt.Fprintf(out, "  … and %d more lines not stored\n", n-len(s.Errors))
	}
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func joinCounts[M ~map[string]int](m M) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
