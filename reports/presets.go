package reports

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/evaluators"
	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// A preset is a report's tables: each a query of the query model over the
// report's window and filter. Options.By regroups the tables that are not
// Fixed (a top-N of runs stays by run).

type section struct {
	title   string
	q       Query
	fixed   bool   // keeps its own By under --by
	floor   string // a metric whose value below Options.MinCalls flags the row
	minimum int
}

type preset struct {
	name, title, doc string
	sections         []section
	notes            []string
	// extra adds what is not a query-model table (the policy matrix).
	extra func(ctx context.Context, conn driver.Conn, r *Report, o Options) error
}

var (
	model     = []envelope.Kind{envelope.KindModel}
	tool      = []envelope.Kind{envelope.KindTool}
	run       = []envelope.Kind{envelope.KindRun}
	policy    = []envelope.Kind{envelope.KindPolicy}
	approval  = []envelope.Kind{envelope.KindApproval}
	retrieval = []envelope.Kind{envelope.KindRetrieval}
)

func q(kinds []envelope.Kind, by []string, bucket string, metrics ...string) Query {
	return Query{Metrics: metrics, By: by, Bucket: bucket, Filter: Filter{Kinds: kinds}}
}

func by(d ...string) []string { return d }

var presets = []preset{
	{name: "cost", title: "Cost", doc: "calls, tokens, cost, cost per run; latency percentiles; by model, release, tenant and day; the most expensive runs",
		sections: []section{
			{title: "Model calls by model", q: q(model, by("model"), "", "model_calls", "input_tokens", "output_tokens", "cost_usd", "latency_p50", "latency_p95", "latency_p99")},
			{title: "Cost by release", q: q(nil, by("release"), "", "runs", "model_calls", "cost_usd", "cost_per_run")},
			{title: "Cost by tenant", q: q(nil, by("tenant"), "", "runs", "model_calls", "cost_usd", "cost_per_run")},
			{title: "Cost over time", q: q(model, nil, "day", "model_calls", "cost_usd")},
			{title: "Most expensive runs", fixed: true, q: Query{Metrics: []string{"cost_usd", "model_calls", "input_tokens", "output_tokens"}, By: by("run_id"), Top: 10}},
			{title: "Cache reads and cost sources by model", q: q(model, by("model"), "", "input_tokens", "cache_read_tokens", "cost_reported", "cost_priced")},
		},
		extra: costPerPassingCase},
	{name: "latency", title: "Latency", doc: "run and model-call duration percentiles by model, tool and release",
		sections: []section{
			{title: "Run duration by release", q: q(run, by("release"), "", "runs", "duration_p50", "duration_p95", "duration_p99")},
			{title: "Model latency by model", q: q(model, by("model"), "", "model_calls", "latency_p50", "latency_p95", "latency_p99")},
			{title: "Time to first token by model", q: q(model, by("model"), "", "model_calls", "ttft_p50", "ttft_p95")},
			{title: "Tool duration by tool", q: q(tool, by("tool"), "", "tool_calls", "duration_p50", "duration_p95", "duration_p99")},
			{title: "Model latency over time", q: q(model, nil, "auto", "model_calls", "latency_p50", "latency_p95")},
		}},
	{name: "tools", title: "Tools", doc: "calls, error rate (with its denominator and a minimum-call floor), retries, p95 duration, side effects by authorization",
		sections: []section{
			{title: "Tools", floor: "tool_calls", q: q(tool, by("tool"), "", "tool_calls", "errors", "error_rate", "retries", "duration_p95", "side_effect_calls", "authorization_denials")},
			{title: "Side-effect calls by authorization", fixed: true, q: q(tool, by("side_effect", "authorization"), "", "tool_calls", "errors")},
			{title: "Tool errors over time", q: q(tool, nil, "auto", "tool_calls", "errors", "error_rate")},
		},
		extra: toolApprovals},
	{name: "policy", title: "Policy", doc: "decisions by policy version, reason code, enforcement and day; tool authorization denials; approvals; false allow / false deny against the dataset's expected decisions",
		sections: []section{
			{title: "Decisions by policy version", q: q(policy, by("policy_version", "decision"), "", "policy_decisions")},
			{title: "Decisions by reason code and enforcement", q: q(policy, by("reason_code", "enforcement"), "", "policy_decisions", "denials", "require_approval")},
			{title: "Decisions over time", q: q(policy, nil, "day", "policy_decisions", "denials", "require_approval", "deny_rate")},
			{title: "Tool authorization denials", q: q(tool, by("tool"), "", "tool_calls", "authorization_denials")},
			{title: "Approvals by approver role and action", q: q(approval, by("approver_role", "action"), "", "approvals", "approval_rate", "approvals_expired", "approval_latency_p50", "approval_latency_p95")},
		},
		extra: policyGroundTruth},
	{name: "rag", title: "Retrieval", doc: "stale-source hits, forbidden-source attempts, retrievals that returned nothing, citation failures, missing-evidence runs, by release and actor",
		sections: []section{
			{title: "Retrieval controls by release", q: q(retrieval, by("release"), "", "retrievals", "stale_hits", "forbidden_attempts", "empty_retrievals")},
			{title: "Forbidden-source attempts by actor", q: q(retrieval, by("actor"), "", "retrievals", "forbidden_attempts")},
			{title: "Retrieval controls over time", q: q(retrieval, nil, "day", "retrievals", "stale_hits", "forbidden_attempts")},
		},
		extra: ragControls},
	{name: "quality", title: "Trace quality", doc: "trace-contract violations and redactions per source and release; redactions by type; ingest rejects, expired and duplicates per source",
		sections: []section{
			{title: "Contract and redactions by source and release", q: q(nil, by("source", "release"), "", "events", "violating_events", "violations", "redactions")},
			{title: "Violations by kind", q: q(nil, by("kind"), "", "events", "violating_events", "violations")},
			{title: "Over time", q: q(nil, nil, "day", "events", "violations", "redactions")},
		},
		extra: traceQuality},
}

// Options are a report's window, filter and regrouping.
type Options struct {
	Window Window
	Filter Filter // Since, Until and TZ come from Window
	// By regroups every table that is not fixed to a kind of row.
	By []string
	// Bucket replaces the time axis of the tables that have one.
	Bucket string
	Top    int
	Exact  bool
	// Raw reads raw rows where the hourly rollup would serve.
	Raw bool
	// MinCalls is the floor under which a rate is flagged as too few to
	// trust (the tools report's error rate). Default 20.
	MinCalls int
	Budget   Budget
	// Gate is the gate config whose checks give the evals report its
	// thresholds; nil: none.
	Gate *gate.Config
	// Against is the release the diff report compares the one release of
	// Filter.Releases with.
	Against string
	// Rules are the rules whose marks the rag report reads (check:
	// citation); nil when none were given, which the report says.
	Rules *evaluators.RuleSet
}

// Names lists the presets with what each shows, for --help.
func Names() []string {
	var n []string
	for _, p := range presets {
		n = append(n, p.name)
	}
	return n
}

// Describe is "name: what it shows" for every preset, one a line.
func Describe() string {
	var b strings.Builder
	for _, p := range presets {
		fmt.Fprintf(&b, "  %-9s %s\n", p.name, p.doc)
	}
	return b.String()
}

// Build runs the preset name with o.
func Build(ctx context.Context, conn driver.Conn, name string, o Options) (*Report, error) {
	i := slices.IndexFunc(presets, func(p preset) bool { return p.name == name })
	if i < 0 {
		return nil, fmt.Errorf("reports: unknown report %q (one of %s)", name, strings.Join(Names(), ", "))
	}
	p := presets[i]
	if o.MinCalls == 0 {
		o.MinCalls = 20
	}
	r := &Report{Name: p.name, Title: p.title, Window: o.Window, Notes: p.notes}
	// The tables are independent queries: up to Parallel at once, so a
	// report waits for its slowest few, not for the sum of all. What the
	// preset adds (extra) is built beside them, into a report of its own,
	// and appended after the tables, as BuildPart's last part holds it.
	tables := make([]*Table, len(p.sections))
	errs := make([]error, len(p.sections)+1)
	more := &Report{Name: p.name, Title: p.title, Window: o.Window}
	sem := make(chan struct{}, Parallel)
	var wg sync.WaitGroup
	for i, s := range p.sections {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			tables[i], errs[i] = s.build(ctx, conn, o)
		})
	}
	if p.extra != nil {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[len(p.sections)] = p.extra(ctx, conn, more, o)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r.Tables = append(tables, more.Tables...)
	r.Matrices = append(r.Matrices, more.Matrices...)
	r.Notes = append(r.Notes, more.Notes...)
	return r, nil
}

// Parallel is how many of a report's tables are queried at once.
var Parallel = 3

// merge is a section's filter (its kinds) within the report's.
func merge(o Options, f Filter) Filter {
	out := o.Filter
	out.Since, out.Until, out.TZ = o.Window.Since, o.Window.Until, o.Window.TZ
	if len(f.Kinds) > 0 {
		out.Kinds = f.Kinds
	}
	return out
}

// flagFloor marks the rows whose metric is under min: their rates rest
// on too few calls.
func flagFloor(t *Table, metric string, min int) {
	j := slices.IndexFunc(t.Metrics, func(m events.Metric) bool { return m.Name == metric })
	if j < 0 {
		return
	}
	for i, r := range t.Rows {
		if n := r.Values[j]; n < float64(min) {
			if t.Flags == nil {
				t.Flags = map[int][]string{}
			}
			t.Flags[i] = append(t.Flags[i], fmt.Sprintf("%s %.0f < %d: rates not significant", metric, n, min))
		}
	}
	if t.Flags != nil {
		t.Note = fmt.Sprintf("rows under %d %s are flagged", min, metric)
	}
}
