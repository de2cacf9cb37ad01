package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/httpingest"
	"github.com/evalhouse/evalhouse/ingest/otlp"
	"github.com/evalhouse/evalhouse/internal/chhttp"
	"github.com/evalhouse/evalhouse/internal/httpbody"
	"github.com/evalhouse/evalhouse/internal/metrics"
	"github.com/evalhouse/evalhouse/keys"
	"github.com/evalhouse/evalhouse/releases"
	"github.com/evalhouse/evalhouse/reports"
	"github.com/evalhouse/evalhouse/reports/ui"
	"github.com/evalhouse/evalhouse/rollout"
)

func (a *app) serveCmd() *cobra.Command {
	var (
		listen, chListen string
		maxBody          int64
		batchWait        time.Duration
		strict           bool
		retention        string
		rulesDirs        []string
		kf               kafkaFlags
		lim              serveLimits
		reportTimeout    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Accept events over HTTP; optionally expose the embedded store to SQL tools",
		Long: `Serve the ingest API:

  POST /v1/events   NDJSON envelope events (Content-Encoding: gzip accepted)
  POST /v1/traces   OTLP/HTTP traces, protobuf or JSON (docs/otlp.md)
  GET  /v1/gates    the last gate decision (?release=R&dataset=D)
  POST /v1/gates    evaluate a posted gate config (docs/gates.md)
  GET  /v1/releases/R
                    the release record and stage log of release R
                    (?environment=E; docs/rollout.md)
  GET  /healthz     200 when the store answers (liveness)
  GET  /readyz      200 when the store answers and its schema is at this
                    binary's version, 503 with the reason otherwise
  GET  /metrics     Prometheus metrics (docs/operations.md)
  GET  /ui          the reports as live pages, filters in the URL; each table
                    loads on its own; /ui/report/NAME.json is the JSON of
                    evalhouse report NAME --format json (docs/reports.md)

Every endpoint but /healthz and /readyz needs a key (evalhouse keys): ingest
for /v1/events and /v1/traces, read (or gate) for GET /v1/gates,
GET /v1/releases/R and /ui (a tenant-scoped key sees its tenant only on /ui
and is refused gate decisions and release records, which span tenants), gate for
POST /v1/gates, any key for the ClickHouse interface. While no key exists,
serve listens on loopback only, lets every local process post events (it
warns) and does not expose the ClickHouse interface;
$EVALHOUSE_BOOTSTRAP_KEY_FILE names a file whose key serve adds as an admin
key at start (a Docker secret, say). POST /v1/gates loads rules only from
the --rules-dir directories. See docs/security.md.

Events from concurrent requests are batched into one insert (by size, or
after --batch-wait); each request is answered only after its events are
stored. See docs/ingest.md for status codes, docs/security.md for the
limits (timeouts, bytes and requests in flight, per-key rate).

--clickhouse-listen also serves the embedded store's ClickHouse HTTP
interface, so Grafana's ClickHouse data source, DBeaver or other evalhouse
commands (--store http://NAME:KEY@ADDR) reach the store this process owns.

At start serve prints a SHA-256 of its configuration (version, flags,
rules files; never a secret), to tell two deployments' settings apart.`,
		Example: `  evalhouse serve                                 # 127.0.0.1:4318, no key needed yet
  evalhouse keys create --role admin --name ops    # then, with keys:
  evalhouse serve --listen 0.0.0.0:4318 --rules-dir gates/rules
  evalhouse serve --clickhouse-listen 127.0.0.1:8123 &
  evalhouse sql --store http://ops:$KEY@127.0.0.1:8123 "SELECT count() FROM agent_events"
  curl -H "Authorization: Bearer $KEY" --data-binary @examples/support-agent/events-2.3.1.ndjson -H 'Content-Type: application/x-ndjson' http://127.0.0.1:4318/v1/events`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.openMigrated(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			verifier, open, err := a.serveKeys(cmd, s.Conn, listen, chListen, rulesDirs)
			if err != nil {
				return err
			}
			wt, err := lim.build()
			if err != nil {
				return err
			}
			conn := wt.m.Conn(s.Conn) // store calls timed for /metrics
			w := ingest.NewWriter(conn, 0, batchWait)
			w.ObserveInserts(wt.m.Inserted)
			limits := httpbody.Limits{MaxBody: maxBody, Budget: wt.budget}
			if err := limits.Validate(); err != nil {
				return &exitError{exitUsage, fmt.Errorf("--max-body: %w", err)}
			}
			pipe := ingest.Options{Strict: strict, Retention: retention, Log: a.log, OnClose: wt.m.IngestClosed}
			evcfg := httpingest.Config{Limits: limits, Pipeline: pipe}
			trcfg := otlp.Config{Limits: limits, Pipeline: pipe}
			mux := http.NewServeMux()
			mux.Handle("/v1/events", httpingest.New(w, evcfg, a.log))
			mux.Handle("/v1/traces", otlp.NewHandler(w, trcfg, a.log))
			stages := rollout.Handler(conn, rollout.HandlerOptions{OnDecision: wt.m.StageDecided, Options: a.stageOptions(),
				RulesDir: func(name string) (string, error) { return gate.ResolveRulesDir(rulesDirs, name) }})
			mux.Handle("/v1/gates", gate.Handler(conn, gate.RulesDirs(rulesDirs...), gate.OnDecision(wt.m.Decided),
				gate.StageGates(rollout.IsStageConfig, stages)))
			mux.Handle(releases.Prefix, releases.Handler(conn, stageDecisions))
			pages := ui.New(conn, ui.Config{Budget: reports.Budget{Timeout: reportTimeout, MaxMemory: 4 << 30}, Log: a.log})
			mux.Handle("/ui", pages)
			mux.Handle("/ui/", pages)
			mux.Handle("/readyz", metrics.Ready(conn, 0))
			mux.Handle("/metrics", wt.m.Handler())
			mux.HandleFunc("/healthz", func(rw http.ResponseWriter, r *http.Request) {
				if err := conn.Ping(r.Context()); err != nil {
					http.Error(rw, "store: "+err.Error(), http.StatusServiceUnavailable)
					return
				}
				fmt.Fprintln(rw, "ok")
			})
			servers := []*http.Server{}
			errc := make(chan error, 2)
			start := func(addr string, h http.Handler, what string) error {
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					return fmt.Errorf("%s: %w", what, err)
				}
				srv := lim.server(h)
				servers = append(servers, srv)
				fmt.Fprintf(cmd.OutOrStdout(), "%s on http://%s\n", what, ln.Addr())
				go func() { errc <- srv.Serve(ln) }()
				return nil
			}
			if chListen != "" {
				if !s.Embedded() {
					return fmt.Errorf("--clickhouse-listen: the store %s is a server already; point tools at it directly", s.DSN)
				}
				s.ConfigureInterface(chhttp.Config{MaxExecutionTime: lim.queryTimeout})
				// The key guard first, so the rate limit counts by key.
				ch := verifier.Guard(wt.wrap("clickhouse", s.HTTPHandler()), clickhousePolicy, keys.GuardOptions{OpenWithoutKeys: open.clickhouse, ClickHouse: true, Log: a.log})
				if err := start(chListen, ch, "ClickHouse HTTP interface (store "+s.DSN.String()+")"); err != nil {
					return err
				}
			}
			api := verifier.Guard(wt.wrap("other", mux, "/v1/events", "/v1/traces", "/v1/gates", "/healthz", "/readyz", "/metrics"),
				apiPolicy, keys.GuardOptions{OpenWithoutKeys: open.api, Log: a.log})
			if err := start(listen, api, "ingest API"); err != nil {
				return err
			}
			// With --kafka-brokers, also consume a topic (docs/kafka.md).
			stopKafka, err := a.serveKafka(ctx, cmd.OutOrStdout(), &kf, w, pipe, wt.m)
			if err != nil {
				return err
			}
			select {
			case <-ctx.Done():
			case err := <-errc:
				if !errors.Is(err, http.ErrServerClosed) {
					return err
				}
			}
			// Graceful: stop accepting, let in-flight requests finish (their
			// events flush before they are answered), then close the store.
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for _, srv := range servers {
				srv.Shutdown(sctx)
			}
			stopKafka(sctx)
			fmt.Fprintln(cmd.OutOrStdout(), "stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:4318", "address for the ingest API (beyond loopback only once a key exists)")
	cmd.Flags().StringVar(&chListen, "clickhouse-listen", "", "address for the embedded store's ClickHouse HTTP interface (e.g. 127.0.0.1:8123); exposed only once a key exists")
	cmd.Flags().StringArrayVar(&rulesDirs, "rules-dir", nil, "a directory of rules POST /v1/gates may load (repeatable; a posted config's rules: names one)")
	cmd.Flags().Int64Var(&maxBody, "max-body", 16<<20, "largest request body in bytes (413 above)")
	cmd.Flags().DurationVar(&batchWait, "batch-wait", 200*time.Millisecond, "longest a request's events wait to be batched with others'")
	cmd.Flags().BoolVar(&strict, "strict", false, "reject events that break the trace contract")
	cmd.Flags().DurationVar(&reportTimeout, "report-timeout", 30*time.Second, "longest one table of a /ui report page may take (its query's max_execution_time)")
	cmd.Flags().StringVar(&retention, "retention", "standard", "storage retention class for events: short, standard, long, audit")
	kf.register(cmd.Flags(), "kafka-")
	lim.register(cmd.Flags())
	return cmd
}
