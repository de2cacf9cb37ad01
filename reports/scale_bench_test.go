package reports_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/reports"
)

// The scale benchmark times reports on a large store next to raw GROUP BY
// queries computing the same numbers, in the same run. `make bench-reports`
// builds the store once (evalhouse dev generate, then evalhouse ingest; see
// docs/benchmarks.md#reports-at-scale) and names its directory in
// EVALHOUSE_REPORT_STORE; without it the benchmark skips.
//
// Each case reports, besides ns/op: ms/query; peak_MiB, the engine's peak
// memory for one of its queries (see peakMemory) and mem_samples, how many
// samples saw a query running; and, for a case with a baseline,
// x_baseline: its time over the baseline's in this run.

// scaleCase is one timed case. A report case names the raw case it is
// compared with in baseline; baselines come first in scaleCases.
type scaleCase struct {
	name     string
	baseline string
	run      func(ctx context.Context, conn driver.Conn) error
}

// scaleCases: the raw queries (one per report's headline numbers), the
// rollup the cost report may read, and the reports. Add a report as
// {name: "report/cost", baseline: "raw/cost_by_model_day", run: …}.
var scaleCases = []scaleCase{
	{name: "raw/cost_by_model_day", run: raw(`SELECT model, toStartOfDay(ts) AS day, count(), sum(input_tokens), sum(output_tokens),
		sum(cost_usd), quantileExact(0.95)(duration_ms)
		FROM agent_events WHERE kind = 'model' AND ts > now() - INTERVAL 30 DAY GROUP BY model, day`)},
	{name: "raw/cost_by_tenant_release", run: raw(`SELECT tenant, release, count(), sum(cost_usd), uniqExact(run_id),
		quantilesExact(0.5, 0.95, 0.99)(duration_ms)
		FROM agent_events WHERE kind = 'model' AND ts > now() - INTERVAL 30 DAY GROUP BY tenant, release`)},
	{name: "raw/latency_by_kind_model_tool_release", run: raw(`SELECT kind, model, tool, release, count(),
		quantilesExact(0.5, 0.95, 0.99)(duration_ms)
		FROM agent_events WHERE kind IN ('run', 'model', 'tool') AND ts > now() - INTERVAL 30 DAY GROUP BY kind, model, tool, release`)},
	{name: "raw/policy_by_version_reason_day", run: raw(`SELECT policy_version, decision, reason_code, enforcement, toStartOfDay(ts) AS day, count()
		FROM agent_events WHERE kind = 'policy' AND ts > now() - INTERVAL 30 DAY
		GROUP BY policy_version, decision, reason_code, enforcement, day`)},
	{name: "raw/approvals_by_role_action", run: raw(`SELECT approver_role, action, count(), countIf(result = 'approved') / count(),
		countIf(result = 'expired') / count(), quantilesExact(0.5, 0.95)(duration_ms)
		FROM agent_events WHERE kind = 'approval' AND ts > now() - INTERVAL 30 DAY GROUP BY approver_role, action`)},
	{name: "raw/tools_by_tool_release", run: raw(`SELECT tool, release, count() AS calls, countIf(status = 'error') / calls, sum(retry_count),
		quantileExact(0.95)(duration_ms), countIf(side_effect IN ('write', 'external')), countIf(authorization = 'denied')
		FROM agent_events WHERE kind = 'tool' AND ts > now() - INTERVAL 30 DAY GROUP BY tool, release`)},
	{name: "raw/rag_by_release_source", run: raw(`SELECT release, arrayJoin(source_ids) AS source, count(), countIf(freshness_stale),
		countIf(access_decision = 'denied'), countIf(citation_required)
		FROM agent_events WHERE kind = 'retrieval' AND ts > now() - INTERVAL 30 DAY GROUP BY release, source`)},
	{name: "raw/evals_by_rule_dataset_release", run: raw(`SELECT evaluator, dataset, release, count(), avg(passed), avg(score)
		FROM agent_events WHERE kind = 'eval' AND ts > now() - INTERVAL 30 DAY GROUP BY evaluator, dataset, release`)},
	{name: "raw/policy_decision_per_run", run: raw(`SELECT policy_version, dataset, case_id, run_id,
		multiIf(countIf(decision = 'deny') > 0, 'deny', countIf(decision = 'require_approval') > 0, 'require_approval', 'allow')
		FROM agent_events WHERE kind = 'policy' AND dataset != '' AND ts > now() - INTERVAL 30 DAY
		GROUP BY policy_version, dataset, case_id, run_id`)},
	{name: "rollup/cost_by_model_day", baseline: "raw/cost_by_model_day", run: raw(`SELECT model, toStartOfDay(hour) AS day, sum(calls),
		sum(input_tokens), sum(output_tokens), sum(cost_usd), quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms)
		FROM model_usage_hourly WHERE hour > now() - INTERVAL 30 DAY GROUP BY model, day`)},
	{name: "report/cost", baseline: "raw/cost_by_model_day", run: preset("cost")},
	{name: "report/latency", baseline: "raw/latency_by_kind_model_tool_release", run: preset("latency")},
	{name: "report/tools", baseline: "raw/tools_by_tool_release", run: preset("tools")},
	{name: "report/policy", baseline: "raw/policy_by_version_reason_day", run: preset("policy")},
	{name: "report/rag", baseline: "raw/rag_by_release_source", run: preset("rag")},
	{name: "report/quality", baseline: "raw/cost_by_tenant_release", run: preset("quality")},
	{name: "report/summary", run: func(ctx context.Context, conn driver.Conn) error {
		_, err := reports.BuildSummary(ctx, conn, "")
		return err
	}},
}

// preset returns a case that builds the report name over the last 30
// days, every table of it.
func preset(name string) func(context.Context, driver.Conn) error {
	return func(ctx context.Context, conn driver.Conn) error {
		now := time.Now().UTC()
		_, err := reports.Build(ctx, conn, name, reports.Options{Window: reports.Window{Since: now.AddDate(0, 0, -30), Until: now}})
		return err
	}
}

// raw returns a case that runs q and reads every row it returns.
func raw(q string) func(context.Context, driver.Conn) error {
	return func(ctx context.Context, conn driver.Conn) error {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
		}
		return rows.Err()
	}
}

var (
	scaleOnce  sync.Once
	scaleStore *store.Store
	scaleErr   error
)

// openScaleStore opens the store EVALHOUSE_REPORT_STORE names, once per
// test binary (the process holds one embedded engine), or skips.
func openScaleStore(b *testing.B) *store.Store {
	dir := os.Getenv("EVALHOUSE_REPORT_STORE")
	if dir == "" {
		b.Skip("EVALHOUSE_REPORT_STORE is unset: run `make bench-reports`")
	}
	scaleOnce.Do(func() { scaleStore, scaleErr = store.Open(context.Background(), "embedded://"+dir, nil) })
	if scaleErr != nil {
		b.Fatalf("open %s: %v", dir, scaleErr)
	}
	return scaleStore
}

func BenchmarkReportsAtScale(b *testing.B) {
	s := openScaleStore(b)
	ctx := context.Background()
	var events uint64
	if err := s.Conn.QueryRow(ctx, "SELECT count() FROM agent_events").Scan(&events); err != nil {
		b.Fatal(err)
	}
	// Time queries on a settled store: a long-lived store has merged the
	// parts its ingest wrote, and a merge running beside a query slows it.
	var merges, parts uint64
	for deadline := time.Now().Add(30 * time.Minute); ; time.Sleep(time.Second) {
		if err := s.Conn.QueryRow(ctx, "SELECT count() FROM system.merges").Scan(&merges); err != nil {
			b.Fatal(err)
		}
		if merges == 0 || time.Now().After(deadline) {
			break
		}
	}
	if err := s.Conn.QueryRow(ctx, "SELECT count() FROM system.parts WHERE active AND table = 'agent_events' AND database = currentDatabase()").Scan(&parts); err != nil {
		b.Fatal(err)
	}
	b.Logf("store %s: %d events in %d active parts (%d merges still running)", s.DSN, events, parts, merges)
	took := map[string]time.Duration{}
	for _, c := range scaleCases {
		b.Run(c.name, func(b *testing.B) {
			if err := c.run(ctx, s.Conn); err != nil { // warm: the first read of a column pays for the disk
				b.Fatalf("%s: %v", c.name, err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.run(ctx, s.Conn); err != nil {
					b.Fatalf("%s: %v", c.name, err)
				}
			}
			b.StopTimer()
			per := b.Elapsed() / time.Duration(b.N)
			took[c.name] = per
			b.ReportMetric(float64(per.Microseconds())/1000, "ms/query")
			// Memory is sampled on one more run, apart from the timed ones
			// (the sampler competes for the same cores).
			peak, seen, err := peakMemory(ctx, s.Conn, func() error { return c.run(ctx, s.Conn) })
			if err != nil {
				b.Fatalf("%s: memory from system.processes: %v", c.name, err)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak_MiB")
			b.ReportMetric(float64(seen), "mem_samples")
			if c.baseline != "" {
				base, ok := took[c.baseline]
				if !ok {
					b.Fatalf("%s: baseline %s has not run before it", c.name, c.baseline)
				}
				b.ReportMetric(float64(per)/float64(base), "x_baseline")
			}
		})
	}
}

// peakMemory runs fn once while another connection samples
// system.processes every millisecond, and returns the largest
// peak_memory_usage (the engine's own per-query memory tracker, the figure
// system.query_log would record; the embedded engine keeps no query log) of
// the queries fn ran, and how many samples saw one. A query shorter than a
// sampling interval can be missed.
func peakMemory(ctx context.Context, conn driver.Conn, fn func() error) (peak uint64, seen int, err error) {
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var serr error
		for {
			select {
			case <-stop:
				done <- serr
				return
			default:
			}
			var p, n uint64
			if err := conn.QueryRow(ctx, `SELECT toUInt64(max(peak_memory_usage)), count() FROM system.processes
				WHERE query NOT LIKE '%system.processes%'`).Scan(&p, &n); err != nil {
				serr = err
			} else if n > 0 {
				seen++
				peak = max(peak, p)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	err = fn()
	close(stop)
	if serr := <-done; err == nil {
		err = serr
	}
	return peak, seen, err
}
