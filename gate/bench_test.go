package gate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// BenchmarkGateQuery measures one gate evaluation (every query it makes:
// per-rule aggregates, worst cases, scored cases, run metrics, contract)
// with 1M and 10M results stored: 1,000 cases × 10 rules per release, over
// 100 or 1,000 releases. Target: ≤ 100 ms at 10M on the embedded engine.
func BenchmarkGateQuery(b *testing.B) {
	for _, total := range []int{1_000_000, 10_000_000} {
		// Setup runs once per size, outside the timed sub-benchmark (which
		// the testing package may call more than once).
		s := storetest.New(b)
		ctx := context.Background()
		if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
			b.Fatal(err)
		}
		const cases, rules = 1000, 10
		releases := total / (cases * rules)
		// Results as `evalhouse eval` writes them; 1 in 20 fails.
		start := time.Now()
		err := s.Conn.Exec(ctx, fmt.Sprintf(`INSERT INTO eval_results (dataset, dataset_version, release, rule_id, rule_version,
				case_id, run_id, trace_id, tenant, environment, passed, score, error, reason, run_ts)
				SELECT 'support-bot', 1, 'r' || toString(intDiv(number, %[1]d)), 'rule' || toString(number %% %[2]d), 'v1',
				       'c' || toString(intDiv(number %% %[1]d, %[2]d)), 'run' || toString(intDiv(number, %[2]d)), 'tr' || toString(intDiv(number, %[2]d)),
				       'acme', 'staging', cityHash64(number) %% 20 != 0, 0, '', '', now64()
				FROM numbers(%[3]d)`, cases*rules, rules, total))
		if err != nil {
			b.Fatal(err)
		}
		s.Conn.Exec(ctx, "OPTIMIZE TABLE eval_results FINAL")
		b.Logf("stored %d results over %d releases in %v", total, releases, time.Since(start))
		cfg, _ := gate.ParseConfig([]byte(`
dataset: support-bot@v1
checks:
  - {rule: rule1, min_pass_rate: 0.9}
  - {rule: rule2, max_failures: 100}
  - {metric: cost_usd_p95, max: 1}
`))
		in := gate.Inputs{Dataset: gate.Dataset{Name: "support-bot", Version: 1}, Rules: map[string]gate.Rule{}}
		for r := 0; r < rules; r++ {
			id := fmt.Sprintf("rule%d", r)
			in.Rules[id] = gate.Rule{ID: id, Version: "v1", Severity: "blocking"}
		}
		for c := 0; c < cases; c++ {
			in.Dataset.CaseIDs = append(in.Dataset.CaseIDs, fmt.Sprintf("c%d", c))
		}
		release := fmt.Sprintf("r%d", releases/2)
		b.Run(fmt.Sprintf("results=%dM", total/1_000_000), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				d, err := gate.Evaluate(ctx, gate.StoreEvidence(s.Conn), cfg, in, gate.Options{Release: release})
				if err != nil {
					b.Fatal(err)
				}
				if d.Cases.Scored != cases {
					b.Fatalf("scored %d cases", d.Cases.Scored)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/gate")
		})
	}
}
