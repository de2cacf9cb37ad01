package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/reports"
)

func (a *app) reportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Reports for analysts: cost, latency, tools, policy, retrieval, quality, evals, diff, summary",
		Long: `Reports for analysts. Each report is a set of tables drawn from one query
model (metrics × dimensions × a time bucket, filtered; docs/reports.md), in
the format you ask for: table, json, csv, markdown, or html (one
self-contained file with its charts; serve shows the same under /ui).

Reports:
` + reports.Describe() + `  query     your own table: --metric … --by … --bucket …
  summary   runs per release, cost by model, policy, contract, redactions

Percentiles say how they were computed: exact over raw rows, or t-digest
estimates where the hourly model rollup serves the query.`,
	}
	for _, name := range reports.Names() {
		cmd.AddCommand(a.presetCmd(name))
	}
	cmd.AddCommand(a.queryCmd(), a.summaryCmd())
	return cmd
}

// reportFlags are what every report takes.
type reportFlags struct {
	format, out, since, until, tz, bucket string
	tenant, environment, model, tool      string
	releases, by, attrs                   []string
	top, minCalls                         int
	exact, raw                            bool
	against                               string // diff: the release compared with
	timeout                               time.Duration
	maxMemory                             int64
	failOn                                string
}

func (f *reportFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "", "table, json, csv, markdown or html (default table on a terminal, json otherwise)")
	fl.StringVarP(&f.out, "out", "o", "", "write to this file instead of standard output")
	fl.StringVar(&f.since, "since", "30d", "window start: RFC 3339, or a duration before now (90m, 24h, 7d)")
	fl.StringVar(&f.until, "until", "", "window end (default now)")
	fl.StringVar(&f.tz, "tz", "", "time zone days, weeks and months start in (e.g. Europe/Berlin; default UTC)")
	fl.StringVar(&f.bucket, "bucket", "", "time axis of the trend tables: auto (~50 buckets), minute, hour, day, week, month")
	fl.StringSliceVar(&f.by, "by", nil, "regroup the tables by these dimensions (e.g. model,release; attr.KEY for an attribute)")
	fl.StringVar(&f.tenant, "tenant", "", "only this tenant")
	fl.StringVar(&f.environment, "environment", "", "only this environment")
	fl.StringArrayVar(&f.releases, "release", nil, "only this release (repeat for more)")
	fl.StringVar(&f.model, "model", "", "only this model")
	fl.StringVar(&f.tool, "tool", "", "only this tool")
	fl.StringArrayVar(&f.attrs, "attr", nil, "only events whose attribute NAME is VALUE: --attr channel=web (repeatable)")
	fl.IntVar(&f.top, "top", 0, "keep the N largest groups, fold the rest into (other)")
	fl.IntVar(&f.minCalls, "min-calls", 20, "flag rates resting on fewer calls than this")
	fl.BoolVar(&f.exact, "exact", false, "read with FINAL (ingest already drops duplicates; slower)")
	fl.BoolVar(&f.raw, "raw", false, "read raw rows where the hourly rollup would serve (exact percentiles; slower)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "longest a table's query may run")
	fl.Int64Var(&f.maxMemory, "max-memory", 4<<30, "most memory a table's query may use, in bytes")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when this expression over the report's summary is true (docs/reports.md); the report is then Markdown unless --format says otherwise")
}

// options turns the flags into the report options (reports.Params, which
// serve's /ui pages read from their URL too).
func (f *reportFlags) options(now time.Time) (reports.Options, error) {
	if f.failOn != "" {
		if err := reports.ParseExpectation(f.failOn); err != nil {
			return reports.Options{}, err
		}
	}
	return reports.Params{Since: f.since, Until: f.until, TZ: f.tz, Bucket: f.bucket,
		Tenant: f.tenant, Environment: f.environment, Model: f.model, Tool: f.tool,
		Releases: f.releases, By: f.by, Attrs: f.attrs, Top: f.top, MinCalls: f.minCalls, Exact: f.exact, Raw: f.raw,
		Budget: reports.Budget{Timeout: f.timeout, MaxMemory: f.maxMemory}, Prefix: "--"}.Options(now)
}

// write draws r where the flags say.
func (f *reportFlags) write(cmd *cobra.Command, r *reports.Report) error {
	format := f.format
	var w io.Writer = cmd.OutOrStdout()
	if f.out != "" {
		file, err := os.Create(f.out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	if format == "" && f.failOn != "" {
		format = "markdown" // the summary a scheduled job mails or posts
	}
	if format == "" {
		format = "json"
		if file, ok := w.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
			format = "table"
		}
	}
	if err := reports.Write(w, r, format); err != nil {
		return usageError(fmt.Errorf("--format: %w", err))
	}
	if f.out != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%s)\n", f.out, format)
	}
	return nil
}

// reportStore is what a report reads: the store's connection.
type reportStore = driver.Conn

// usageError is err with the exit code of a refused flag.
func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

// withReport opens the store, builds a report and writes it.
func (a *app) withReport(cmd *cobra.Command, f *reportFlags, build func(context.Context, reportStore) (*reports.Report, error)) error {
	s, err := a.openMigrated(cmd.Context())
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := build(cmd.Context(), s.Conn)
	if err != nil {
		return err
	}
	var e *reports.Expectation
	if f.failOn != "" {
		if e, err = reports.Expect(r, f.failOn); err != nil {
			return usageError(err)
		}
	}
	if err := f.write(cmd, r); err != nil {
		return err
	}
	if e != nil && e.Breached {
		return &exitError{code: exitFailed, err: fmt.Errorf("report %s: expectation breached: %s", r.Name, e.Summary())}
	}
	return nil
}

func (a *app) presetCmd(name string) *cobra.Command {
	f := &reportFlags{}
	var extra func(*reports.Options) error // the report's own flags
	var rulesDir string
	cmd := &cobra.Command{
		Use:   name,
		Short: "The " + name + " report",
		Example: fmt.Sprintf(`  evalhouse report %[1]s
  evalhouse report %[1]s --since 7d --by release --format markdown
  evalhouse report %[1]s --tenant acme --release 2.4.0 --format csv --out %[1]s.csv
  evalhouse report %[1]s --since 24h --fail-on '%[2]s' --out %[1]s.md || notify %[1]s.md`, name, failOnExamples[name]),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options(time.Now().UTC())
			if err != nil {
				return usageError(err)
			}
			if err := extra(&o); err != nil {
				return usageError(err)
			}
			if o.Rules, err = reportRules(cmd, rulesDir); err != nil {
				return err
			}
			return a.withReport(cmd, f, func(ctx context.Context, s reportStore) (*reports.Report, error) {
				return reports.Build(ctx, s, name, o)
			})
		},
	}
	f.register(cmd)
	extra = presetFlags(name, cmd, f)
	if name == "rag" {
		cmd.Flags().StringVar(&rulesDir, "rules", "rules", "directory of rule files: the rules marked check: citation are the citation checks")
		cmd.Example += `
  evalhouse report rag --rules examples/rules --fail-on 'any(citation_failures_by_release, .failure_rate > 0.05)'`
	}
	return cmd
}

// failOnExamples are an expectation per report, for its --help.
var failOnExamples = map[string]string{
	"cost":    "totals.cost_usd > 50",
	"latency": "any(run_duration_by_release, .duration_p95 > 30000)",
	"tools":   "any(tools, .error_rate > 0.05 && .tool_calls >= 20)",
	"policy":  "policy.false_allow > 0",
	"rag":     "any(missing_evidence_runs_by_release, .missing_evidence_rate > 0.1)",
	"quality": "totals.rejected > 0",
}

// reportRules loads the rules a report reads marks from: none when the
// report takes no --rules, or the default directory is absent; a
// directory named with --rules must load.
func reportRules(cmd *cobra.Command, dir string) (*evaluators.RuleSet, error) {
	if dir == "" {
		return nil, nil
	}
	if _, err := os.Stat(dir); err != nil && !cmd.Flags().Changed("rules") {
		return nil, nil
	}
	rs, err := evaluators.LoadDir(dir)
	if err != nil {
		return nil, &exitError{code: exitInvalid, err: err}
	}
	return rs, nil
}

func (a *app) queryCmd() *cobra.Command {
	f := &reportFlags{}
	var (
		metrics []string
		kinds   []string
	)
	cmd := &cobra.Command{
		Use:   "query",
		Short: "One table of your own: metrics × dimensions × a time bucket",
		Long: "Metrics: " + metricList() + "\n\nDimensions: " + strings.Join(events.Dimensions(), ", ") +
			", or attr.KEY (an attribute's value).\n\nBuckets: none, auto, minute, hour, day, week, month, release.",
		Example: `  evalhouse report query --metric cost_usd,model_calls --by model --bucket day --kind model
  evalhouse report query --metric runs,cost_per_run --by release,tenant --top 5 --format csv
  evalhouse report query --metric events --by attr.channel --since 7d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options(time.Now().UTC())
			if err != nil {
				return usageError(err)
			}
			q := reports.Query{Metrics: metrics, By: o.By, Bucket: f.bucket, Top: o.Top, Exact: o.Exact, Raw: o.Raw, Filter: o.Filter}
			q.Filter.Since, q.Filter.Until, q.Filter.TZ = o.Window.Since, o.Window.Until, o.Window.TZ
			for _, k := range kinds {
				if !envelope.ValidKind(envelope.Kind(k)) {
					return usageError(fmt.Errorf("--kind %q: not one of run, model, tool, retrieval, memory, policy, approval, eval", k))
				}
				q.Filter.Kinds = append(q.Filter.Kinds, envelope.Kind(k))
			}
			if err := (events.AggQuery{Metrics: metrics, By: q.By}).Validate(); err != nil {
				return usageError(fmt.Errorf("--metric/--by: %w", err))
			}
			return a.withReport(cmd, f, func(ctx context.Context, s reportStore) (*reports.Report, error) {
				t, err := reports.Run(ctx, s, "Query", q, o.Budget)
				if err != nil {
					return nil, err
				}
				return &reports.Report{Name: "query", Title: "Query", Window: o.Window, Tables: []*reports.Table{t}}, nil
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringSliceVar(&metrics, "metric", nil, "metrics to compute (required; see above)")
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "only events of these kinds (model, tool, …)")
	cmd.MarkFlagRequired("metric")
	return cmd
}

func metricList() string {
	var n []string
	for _, m := range events.Metrics() {
		n = append(n, m.Name)
	}
	return strings.Join(n, ", ")
}

func (a *app) summaryCmd() *cobra.Command {
	var (
		tenant string
		asJSON bool
	)
	summary := &cobra.Command{
		Use:   "summary",
		Short: "Runs per release, cost and tokens by model, policy decisions, contract violations, redactions",
		Example: `  evalhouse report summary
  evalhouse report summary --tenant acme --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			sum, err := reports.BuildSummary(cmd.Context(), s.Conn, tenant)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), sum)
			}
			return sum.WriteText(cmd.OutOrStdout())
		},
	}
	summary.Flags().StringVar(&tenant, "tenant", "", "only this tenant")
	summary.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return summary
}
