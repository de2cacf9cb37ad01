package evaluators_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// BenchmarkScoreDataset measures `evalhouse eval` end to end: runs read from
// agent_events and assembled, every example rule evaluated, results written
// to eval_results. Reported in runs/s.
func BenchmarkScoreDataset(b *testing.B) {
	const runs = 2000
	s := storetest.New(b)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		b.Fatal(err)
	}
	var nd strings.Builder
	cases := evaluators.CaseSource{}
	ts := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	for i := 0; i < runs; i++ {
		id := fmt.Sprintf("c%04d", i)
		cases[id] = evaluators.Case{ID: id, Expected: map[string]any{"answer": "on its way", "must_escalate": false}}
		common := fmt.Sprintf(`"trace_id":"t%04d","run_id":"r%04d","tenant":"acme","environment":"staging","release":"1.0","ts":%q,"status":"ok","dataset":"bench@v1","case_id":%q`, i, i, ts, id)
		fmt.Fprintf(&nd, `{"kind":"run",%s,"span_id":"s%04d","duration_ms":900,"actor":"bot","task":"order_status","input":"where is my order","output":"your order is on its way","stop_reason":"completed"}`+"\n", common, i)
		fmt.Fprintf(&nd, `{"kind":"model",%s,"span_id":"m%04d","duration_ms":800,"model":"gpt-4o","prompt_version":"p","input_ref":"x","output_status":"ok","input_tokens":1200,"output_tokens":150,"latency_ms":800}`+"\n", common, i)
		fmt.Fprintf(&nd, `{"kind":"tool",%s,"span_id":"x%04d","duration_ms":40,"tool":"lookup_order","args":{"order":"ORD-1"},"authorization":"allowed","retry_count":0,"idempotency_key":"k%04d","side_effect":"read"}`+"\n", common, i, i)
		fmt.Fprintf(&nd, `{"kind":"retrieval",%s,"span_id":"q%04d","duration_ms":60,"source_ids":["kb-1"],"freshness":{"stale":false,"age_s":60},"access_decision":"allowed","citation_required":false}`+"\n", common, i)
		fmt.Fprintf(&nd, `{"kind":"policy",%s,"span_id":"p%04d","duration_ms":3,"policy_version":"p@1","decision":"allow","reason_code":"within_limit","enforcement":"enforced"}`+"\n", common, i)
	}
	p, _ := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Urgent: true})
	if err := p.ReadNDJSON(ctx, "bench", strings.NewReader(nd.String())); err != nil {
		b.Fatal(err)
	}
	if _, err := p.Close(ctx); err != nil {
		b.Fatal(err)
	}
	rs, err := evaluators.LoadDir("../examples/rules")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := evaluators.ScoreDataset(ctx, s.Conn, rs, "bench", 1, cases, "1.0")
		if err != nil {
			b.Fatal(err)
		}
		if res.Runs != runs {
			b.Fatalf("scored %d runs", res.Runs)
		}
	}
	b.ReportMetric(float64(runs*b.N)/b.Elapsed().Seconds(), "runs/s")
}
