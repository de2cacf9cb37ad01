package schema

import (
	"context"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/internal/storetest"
)

// Rows stored before 0011 count in the columns it adds, as rows stored
// after it do: the migration refills both rollups from agent_events, and
// its views keep them from then on.
func TestRollupsRebuiltCountRowsStoredBefore(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	migs, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for i < len(migs) && migs[i].Version < 11 {
		i++
	}
	if i == len(migs) || migs[i].Version != 11 {
		t.Fatal("no migration 0011")
	}
	if _, err := migrate(ctx, s.Conn, migs[:i], Options{}, nil); err != nil {
		t.Fatal(err)
	}
	// One run's events: two model calls (one priced from the table, one
	// reported, one with cache reads), an allow and a deny.
	insert := func(run string) {
		t.Helper()
		if err := s.Conn.Exec(ctx, strings.NewReplacer("RUN", run).Replace(`INSERT INTO agent_events (tenant, environment, ts, kind, event_id, run_id, release, model,
			input_tokens, cost_usd, cost_source, attributes, policy_version, decision, retention_days) VALUES
			('t', 'prod', now64(6) - INTERVAL 3 SECOND, 'run', 'RUN-r', 'RUN', 'r1', '', 0, 0, '', '{}', '', '', 30),
			('t', 'prod', now64(6) - INTERVAL 2 SECOND, 'model', 'RUN-m1', 'RUN', 'r1', 'm', 100, 0.5, 'price_table@v1', '{"gen_ai.usage.cache_read.input_tokens":40}', '', '', 30),
			('t', 'prod', now64(6) - INTERVAL 2 SECOND, 'model', 'RUN-m2', 'RUN', 'r1', 'm', 10, 0.25, 'reported', '{}', '', '', 30),
			('t', 'prod', now64(6) - INTERVAL 1 SECOND, 'policy', 'RUN-p1', 'RUN', 'r1', '', 0, 0, '', '{}', 'p1', 'allow', 30),
			('t', 'prod', now64(6), 'policy', 'RUN-p2', 'RUN', 'r1', '', 0, 0, '', '{}', 'p2', 'deny', 30)`)); err != nil {
			t.Fatal(err)
		}
	}
	insert("before")
	if _, err := migrate(ctx, s.Conn, migs, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	insert("after")
	var calls, cache uint64
	var cost, priced, reported float64
	if err := s.Conn.QueryRow(ctx, `SELECT sum(calls), sum(cache_read_tokens), sum(cost_usd), sum(cost_priced), sum(cost_reported)
		FROM model_usage_hourly`).Scan(&calls, &cache, &cost, &priced, &reported); err != nil {
		t.Fatal(err)
	}
	if calls != 4 || cache != 80 || cost != 1.5 || priced != 1 || reported != 0.5 {
		t.Errorf("model_usage_hourly: calls %d cache reads %d cost %g priced %g reported %g; want 4, 80, 1.5, 1, 0.5",
			calls, cache, cost, priced, reported)
	}
	rows, err := s.Conn.Query(ctx, `SELECT run_id, max(decision_rank), argMaxMerge(decision_version), sum(events)
		FROM run_summaries GROUP BY run_id ORDER BY run_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var run, version string
		var rank uint8
		var n uint64
		if err := rows.Scan(&run, &rank, &version, &n); err != nil {
			t.Fatal(err)
		}
		if rank != 3 || version != "p2" || n != 5 {
			t.Errorf("run %s: decision rank %d version %q events %d; want 3 (deny), p2, 5", run, rank, version, n)
		}
		got = append(got, run)
	}
	if len(got) != 2 {
		t.Errorf("run_summaries holds runs %v; want after and before", got)
	}
}
