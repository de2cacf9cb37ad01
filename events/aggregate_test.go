package events_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/internal/chsql/snapshot"
)

// testAggregate drives the query model over the fixture, each answer
// computed by hand from it: raw rows and the hourly rollup agree, a
// release axis, top-N folding the rest into Other, an hour axis, an
// attribute dimension, and refusals naming what is wrong.
func testAggregate(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	rec := snapshot.Record(s.Conn)
	fixture(t, rec)
	rec.Take()
	agg := func(q events.AggQuery) events.AggResult {
		t.Helper()
		r, err := events.Aggregate(ctx, rec, q)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	rows := func(r events.AggResult) string {
		var b []string
		for _, row := range r.Rows {
			b = append(b, fmt.Sprintf("%s=%v", strings.Join(row.Dims, "/"), row.Values))
		}
		return strings.Join(b, " ")
	}
	models := events.AggQuery{Metrics: []string{"model_calls", "cost_usd", "input_tokens"}, By: []string{"model"},
		Filter: events.AggFilter{Kinds: []envelope.Kind{envelope.KindModel}}}
	roll := agg(models)
	models.Raw = true
	raw := agg(models)
	if roll.Source != "model_usage_hourly" || raw.Source != "agent_events" || raw.Percentiles != events.PercentilesExact {
		t.Errorf("sources %q %q", roll.Source, raw.Source)
	}
	if got, want := rows(raw), "m1=[1 0.5 10] m2=[1 1.5 0]"; got != want || rows(roll) != want {
		t.Errorf("by model: raw %s, rollup %s, want %s", got, rows(roll), want)
	}
	rel := agg(events.AggQuery{Metrics: []string{"runs", "events", "errors", "error_rate", "denials", "violations", "cost_per_run"},
		Bucket: events.Bucket{Unit: "release"}})
	if got := rows(rel); got != "1.0=[2 5 1 0.2 1 1 1] 2.0=[1 1 0 0 0 0 0]" {
		t.Errorf("by release: %s", got)
	}
	runs := agg(events.AggQuery{Metrics: []string{"runs", "cost_usd", "cost_per_run", "model_calls"}, By: []string{"tenant"}})
	runsRaw := agg(events.AggQuery{Metrics: []string{"runs", "cost_usd", "cost_per_run", "model_calls"}, By: []string{"tenant"}, Raw: true})
	if runs.Source != "run_summaries" || rows(runs) != "acme=[2 2 1 2] globex=[1 0 0 0]" || rows(runsRaw) != rows(runs) {
		t.Errorf("whole runs by tenant: %s from %s, raw %s", rows(runs), runs.Source, rows(runsRaw))
	}
	top := agg(events.AggQuery{Metrics: []string{"events", "duration_p50"}, By: []string{"tenant", "environment"}, Top: 1})
	if got := rows(top); got != "(other)/(other)=[1 0] acme/staging=[5 0]" {
		t.Errorf("top 1: %s", got)
	}
	hourly := agg(events.AggQuery{Metrics: []string{"events"}, Bucket: events.Bucket{Unit: "interval", Seconds: 3600}})
	var n float64
	for _, r := range hourly.Rows {
		if r.Bucket.IsZero() || r.Bucket.Minute() != 0 {
			t.Errorf("hour bucket %v", r.Bucket)
		}
		n += r.Values[0]
	}
	if n != 6 || len(hourly.Rows) < 2 {
		t.Errorf("hourly: %+v", hourly.Rows)
	}
	attr := agg(events.AggQuery{Metrics: []string{"events"}, By: []string{"attr.channel"},
		Filter: events.AggFilter{Tenant: "acme", Attrs: map[string]string{"channel": ""}}})
	if got := rows(attr); got != "=[5]" {
		t.Errorf("by attribute: %s", got)
	}
	for _, c := range []struct {
		q    events.AggQuery
		want string
	}{
		{events.AggQuery{}, "no metric"},
		{events.AggQuery{Metrics: []string{"cost"}}, `unknown metric "cost"`},
		{events.AggQuery{Metrics: []string{"events"}, By: []string{"input"}}, `unknown dimension "input"`},
		{events.AggQuery{Metrics: []string{"events"}, Bucket: events.Bucket{Unit: "fortnight"}}, `bucket "fortnight"`},
		{events.AggQuery{Metrics: []string{"events"}, Bucket: events.Bucket{Unit: "day", TZ: "Mars/Olympus"}}, `time zone "Mars/Olympus"`},
	} {
		if _, err := events.Aggregate(ctx, rec, c.q); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.q, err, c.want)
		}
	}
	snapshot.Check(t, "aggregate", rec.Take())
}
