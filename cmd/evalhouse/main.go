// Command evalhouse is the release-evidence pipeline for AI agents: traces
// in, evaluated against versioned datasets, release gates out.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/internal/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// app holds what every command shares: flags, logger, store.
type app struct {
	storeDSN string
	logLevel string
	log      *slog.Logger
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return
	}
	fmt.Fprint(os.Stderr, errorLine(err))
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	os.Exit(exitFailed)
}

// errorLine is how the command prints the error it ends with: scrubbed,
// for cobra's own errors (a flag's value) are not a command's (cliError).
func errorLine(err error) string { return "evalhouse: " + printed(err.Error()) + "\n" }

func newRoot() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:   "evalhouse",
		Short: "Release evidence for AI agents: traces in ClickHouse, evaluated, gated",
		Long: `evalhouse collects your agents' runs (model calls, tool calls, retrieval,
memory, policy decisions, approvals, evals) into ClickHouse — redacted,
deduplicated and checked against a trace contract — so CI can ask whether a
release may ship and analysts can see cost, policy and quality trends.

The store is the embedded ClickHouse engine by default (a data directory,
nothing to run); point --store at a ClickHouse server or cluster to scale.

Store addresses (--store or $EVALHOUSE_STORE):
  embedded://PATH                      the engine in this process (default embedded://.evalhouse/data)
  clickhouse://user:pass@host:9000/db  a ClickHouse server, native protocol
  http://[NAME:KEY@]host:8123/db       a ClickHouse server over HTTP, or another
                                       evalhouse's serve --clickhouse-listen (KEY
                                       from evalhouse keys create)

Start here:
  evalhouse migrate                         create or upgrade the schema
  evalhouse ingest events.ndjson            load events (- for stdin, .gz ok)
  evalhouse report summary                  runs, cost, policy, contract, redactions
  evalhouse sql "SELECT count() FROM agent_events"
  evalhouse serve                           accept POST /v1/events on 127.0.0.1:4318
  evalhouse keys create --role admin        a key, so serve may listen beyond loopback

` + exitCodeHelp(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(a.logLevel)); err != nil {
				return fmt.Errorf("--log-level %q: want debug, info, warn or error", a.logLevel)
			}
			a.log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: lvl, ReplaceAttr: scrubAttr}))
			return nil
		},
	}
	def := os.Getenv("EVALHOUSE_STORE")
	if def == "" {
		def = store.DefaultDSN
	}
	root.PersistentFlags().StringVar(&a.storeDSN, "store", def, "where the data lives (env EVALHOUSE_STORE); see above")
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "warn", "log verbosity: debug, info, warn, error")
	root.AddCommand(a.migrateCmd(), a.ingestCmd(), a.serveCmd(), a.sqlCmd(), a.reportCmd(),
		a.evalCmd(), a.gateCmd(), a.incidentCmd(), a.datasetCmd(), a.rulesCmd(), a.exportCmd(), a.keysCmd(),
		a.runsCmd(), a.runCmd(), a.releaseCmd())
	root.AddCommand(a.devCmd())
	rewordErrors(root)
	return root
}

// scrubAttr passes every text a log record holds (its message, string
// values, errors) through the redactor: a library may log what it was sent.
func scrubAttr(_ []string, a slog.Attr) slog.Attr {
	switch v := a.Value; {
	case v.Kind() == slog.KindString:
		if red := printed(v.String()); red != v.String() {
			a.Value = slog.StringValue(red)
		}
	case v.Kind() == slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			a.Value = slog.StringValue(printed(x.Error()))
		case fmt.Stringer:
			a.Value = slog.StringValue(printed(x.String()))
		}
	}
	return a
}

// open connects to the store the flags name.
func (a *app) open(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, a.storeDSN, a.log)
}
