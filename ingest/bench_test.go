package ingest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// benchEvents is how many ~1 KB events each side of the comparison inserts;
// EVALHOUSE_BENCH_EVENTS overrides.
func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("EVALHOUSE_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 200000
}

// writeBenchFile writes n envelope events of about 1 KB each: a realistic
// mix of kinds with prose payloads (and no secrets: the clean path is the
// common one).
func writeBenchFile(tb testing.TB, path string, n int) int64 {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	prose := "The customer asked again, politely, after a week of silence. The customer asked about the status of an order placed last week and whether the refund for the damaged item was processed; the agent looked up the order, checked the refund policy and replied with the tracking link and an apology. "
	var total int64
	for i := 0; i < n; i++ {
		kind := kinds[i%len(kinds)]
		line := event(kind, i, fmt.Sprintf(`"attributes":{"session":"sess-%d","note":%q,"turn":%d,"summary":%q}`, i/10, prose[:200+i%90], i%7, prose[i%50:250]))
		line = strings.Replace(line, `"trace_id":"tr`, fmt.Sprintf(`"event_id":"ev-%09d","trace_id":"tr`, i), 1)
		if kind == "run" {
			line = strings.Replace(line, `"input":"where is my order"`, `"input":`+strconv.Quote(prose+prose+prose[:200]), 1)
		}
		total += int64(len(line) + 1)
		w.WriteString(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return total
}

// writeRawRows writes the rows the pipeline would store as JSONEachRow, for
// the engine's own insert.
func writeRawRows(tb testing.TB, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, _ := os.Create(dst)
	w := bufio.NewWriterSize(out, 1<<20)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		ev, err := envelope.Decode(sc.Bytes())
		if err != nil {
			tb.Fatal(err)
		}
		r := ingest.ToRow(ev)
		b, _ := json.Marshal(rowJSON(&r))
		w.Write(b)
		w.WriteByte('\n')
	}
	w.Flush()
	out.Close()
}

func rowJSON(r *events.Row) map[string]any {
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000000") }
	return map[string]any{
		"tenant": r.Tenant, "environment": r.Environment, "ts": ts(r.TS), "kind": r.Kind, "event_id": r.EventID,
		"trace_id": r.TraceID, "span_id": r.SpanID, "parent_span_id": r.ParentSpanID, "run_id": r.RunID,
		"release": r.Release, "duration_ms": r.DurationMS, "status": r.Status, "dataset": r.Dataset, "case_id": r.CaseID,
		"actor": r.Actor, "task": r.Task, "input": r.Input, "output": r.Output, "stop_reason": r.StopReason,
		"model": r.Model, "prompt_version": r.PromptVersion, "input_ref": r.InputRef, "output_status": r.OutputStatus,
		"input_tokens": r.InputTokens, "output_tokens": r.OutputTokens, "cost_usd": r.CostUSD, "latency_ms": r.LatencyMS,
		"tool": r.Tool, "args": r.Args, "authorization": r.Authorization, "retry_count": r.RetryCount,
		"idempotency_key": r.IdempotencyKey, "side_effect": r.SideEffect, "source_ids": r.SourceIDs,
		"freshness_stale": r.FreshnessStale, "freshness_age_s": r.FreshnessAgeS, "access_decision": r.AccessDecision,
		"citation_required": r.CitationRequired, "op": r.Op, "read_ids": r.ReadIDs, "write_ids": r.WriteIDs,
		"retention_class": r.RetentionClass, "policy_basis": r.PolicyBasis, "policy_version": r.PolicyVersion,
		"decision": r.Decision, "reason_code": r.ReasonCode, "enforcement": r.Enforcement,
		"approver_role": r.ApproverRole, "action": r.Action, "expires_at": ts(r.ExpiresAt), "result": r.Result,
		"evaluator": r.Evaluator, "evaluator_version": r.EvaluatorVersion, "score": r.Score, "threshold": r.Threshold,
		"passed": r.Passed, "attributes": r.Attributes, "retention_days": 90, "storage_retention": "standard", "source": "envelope",
	}
}

// BenchmarkIngestVsRawEngine measures `evalhouse ingest` end to end (read,
// decode, redact, price, contract, dedup, insert through clickhouse-go into
// the embedded engine) next to the engine's own INSERT … FORMAT JSONEachRow
// of the same rows, in the same run. Reported: events/s for both and the
// ratio (target ≥ 0.5).
func BenchmarkIngestVsRawEngine(b *testing.B) {
	n := benchEvents()
	dir := os.Getenv("EVALHOUSE_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	src := filepath.Join(dir, "events.ndjson")
	size := writeBenchFile(b, src, n)
	rawRows := filepath.Join(dir, "rows.jsonl")
	writeRawRows(b, src, rawRows)
	ctx := context.Background()
	e := storetest.Engine(b)

	var ours, raw time.Duration
	for i := 0; i < b.N; i++ {
		s := storetest.New(b)
		if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		f, _ := os.Open(src)
		p, _ := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Urgent: true})
		if err := p.ReadNDJSON(ctx, src, f); err != nil {
			b.Fatal(err)
		}
		sum, err := p.Close(ctx)
		f.Close()
		if err != nil || sum.Accepted != n {
			b.Fatalf("accepted %d of %d: %v", sum.Accepted, n, err)
		}
		ours += time.Since(start)

		r := storetest.New(b)
		if _, err := schema.Migrate(ctx, r.Conn, schema.Options{}, nil); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		if _, err := e.Query(r.Database, "INSERT INTO agent_events FROM INFILE '"+rawRows+"' FORMAT JSONEachRow", "TabSeparated"); err != nil {
			b.Fatal(err)
		}
		raw += time.Since(start)
		var got uint64
		r.Conn.QueryRow(ctx, "SELECT count() FROM agent_events").Scan(&got)
		if got != uint64(n) {
			b.Fatalf("raw insert stored %d of %d", got, n)
		}
	}
	oursRate := float64(n*b.N) / ours.Seconds()
	rawRate := float64(n*b.N) / raw.Seconds()
	b.ReportMetric(oursRate, "evalhouse_events/s")
	b.ReportMetric(rawRate, "raw_engine_events/s")
	b.ReportMetric(oursRate/rawRate, "ratio")
	b.ReportMetric(float64(size)/float64(n), "bytes/event")
}
