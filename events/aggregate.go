package events

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// The query model's one reader: named metrics over agent_events, grouped
// by named dimensions and a time bucket (or the release), filtered. The
// SQL of every metric and dimension is here, with the table's owner;
// reports name them. A query the hourly model rollup can answer exactly
// (model calls only, its dimensions and filters, hour-aligned times) reads
// model_usage_hourly, whose percentiles are t-digest estimates; any other
// reads the raw rows, with exact percentiles. The result says which.

// Metric is one aggregate the query model offers.
type Metric struct {
	// Name is how reports and users name it (cost_usd, latency_p95, …).
	Name string `json:"name"`
	// Unit is "count", "usd", "ms", "tokens" or "ratio" (0..1).
	Unit string `json:"unit"`
	// Doc says what it counts, for --help and docs/reports.md.
	Doc      string `json:"doc"`
	raw      string
	quantile bool
}

// Quantile reports whether the metric is a percentile (its method is in
// the result: exact or t-digest).
func (m Metric) Quantile() bool { return m.quantile }

const (
	latencyExpr = "if(latency_ms > 0, latency_ms, duration_ms)"
	// simpleJSON: attributes are stored flat (dotted keys), and it is
	// several times faster than a full JSON parse of every row.
	ttftExpr = "if(simpleJSONHas(attributes, 'time_to_first_token_ms'), simpleJSONExtractFloat(attributes, 'time_to_first_token_ms'), NULL)"
)

func pct(name, doc, expr string, q float64) Metric {
	return Metric{Name: name, Unit: "ms", Doc: doc, quantile: true, raw: fmt.Sprintf("quantileExactInclusive(%g)(%s)", q, expr)}
}

// metrics is the catalog, in the order Metrics lists it.
var metrics = []Metric{
	{Name: "events", Unit: "count", Doc: "events", raw: "count()"},
	// Runs are told apart by a 64-bit hash of their id, twice as fast to
	// count as the id: two of a million runs share one with a chance of
	// about 3e-8.
	{Name: "runs", Unit: "count", Doc: "distinct runs", raw: "uniqExactIf(cityHash64(run_id), run_id != '')"},
	{Name: "model_calls", Unit: "count", Doc: "model calls", raw: "countIf(kind = 'model')"},
	{Name: "tool_calls", Unit: "count", Doc: "tool calls", raw: "countIf(kind = 'tool')"},
	{Name: "errors", Unit: "count", Doc: "events with status error", raw: "countIf(status = 'error')"},
	{Name: "error_rate", Unit: "ratio", Doc: "errors / events", raw: "countIf(status = 'error') / count()"},
	{Name: "input_tokens", Unit: "tokens", Doc: "input tokens", raw: "sum(input_tokens)"},
	{Name: "output_tokens", Unit: "tokens", Doc: "output tokens", raw: "sum(output_tokens)"},
	{Name: "cache_read_tokens", Unit: "tokens", Doc: "input tokens read from the provider's cache (attribute gen_ai.usage.cache_read.input_tokens)",
		raw: "sum(simpleJSONExtractUInt(attributes, 'gen_ai.usage.cache_read.input_tokens'))"},
	{Name: "cost_usd", Unit: "usd", Doc: "cost, as reported or priced at ingest", raw: "sum(cost_usd)"},
	{Name: "cost_per_run", Unit: "usd", Doc: "cost / distinct runs", raw: "sum(cost_usd) / greatest(uniqExactIf(cityHash64(run_id), run_id != ''), 1)"},
	{Name: "cost_priced", Unit: "usd", Doc: "the part of cost computed from the price table (the agent reported none)", raw: "sumIf(cost_usd, startsWith(cost_source, 'price_table@'))"},
	{Name: "cost_reported", Unit: "usd", Doc: "the part of cost the agent reported", raw: "sumIf(cost_usd, NOT startsWith(cost_source, 'price_table@'))"},
	pct("duration_p50", "median duration", "duration_ms", 0.5),
	pct("duration_p95", "95th percentile duration", "duration_ms", 0.95),
	pct("duration_p99", "99th percentile duration", "duration_ms", 0.99),
	pct("latency_p50", "median latency (latency_ms, else duration_ms)", latencyExpr, 0.5),
	pct("latency_p95", "95th percentile latency", latencyExpr, 0.95),
	pct("latency_p99", "99th percentile latency", latencyExpr, 0.99),
	pct("ttft_p50", "median time to first token (attribute time_to_first_token_ms, where the trace has it)", ttftExpr, 0.5),
	pct("ttft_p95", "95th percentile time to first token", ttftExpr, 0.95),
	{Name: "retries", Unit: "count", Doc: "tool retries (retry_count)", raw: "sum(retry_count)"},
	{Name: "side_effect_calls", Unit: "count", Doc: "tool calls with a write or external side effect", raw: "countIf(kind = 'tool' AND side_effect IN ('write', 'external'))"},
	{Name: "authorization_denials", Unit: "count", Doc: "tool calls denied authorization", raw: "countIf(kind = 'tool' AND authorization = 'denied')"},
	{Name: "policy_decisions", Unit: "count", Doc: "policy decisions", raw: "countIf(kind = 'policy')"},
	{Name: "denials", Unit: "count", Doc: "policy decisions deny", raw: "countIf(kind = 'policy' AND decision = 'deny')"},
	{Name: "require_approval", Unit: "count", Doc: "policy decisions require_approval", raw: "countIf(kind = 'policy' AND decision = 'require_approval')"},
	{Name: "deny_rate", Unit: "ratio", Doc: "denials / policy decisions", raw: "countIf(kind = 'policy' AND decision = 'deny') / greatest(countIf(kind = 'policy'), 1)"},
	{Name: "approvals", Unit: "count", Doc: "approval events", raw: "countIf(kind = 'approval')"},
	{Name: "approval_rate", Unit: "ratio", Doc: "approved / approvals", raw: "countIf(kind = 'approval' AND result = 'approved') / greatest(countIf(kind = 'approval'), 1)"},
	{Name: "approvals_expired", Unit: "count", Doc: "approvals that expired", raw: "countIf(kind = 'approval' AND result = 'expired')"},
	pct("approval_latency_p50", "median approval wait (duration_ms)", "if(kind = 'approval', duration_ms, NULL)", 0.5),
	pct("approval_latency_p95", "95th percentile approval wait", "if(kind = 'approval', duration_ms, NULL)", 0.95),
	{Name: "retrievals", Unit: "count", Doc: "retrievals", raw: "countIf(kind = 'retrieval')"},
	{Name: "stale_hits", Unit: "count", Doc: "retrievals that returned stale sources", raw: "countIf(kind = 'retrieval' AND freshness_stale)"},
	{Name: "forbidden_attempts", Unit: "count", Doc: "retrievals denied access", raw: "countIf(kind = 'retrieval' AND access_decision = 'denied')"},
	{Name: "empty_retrievals", Unit: "count", Doc: "retrievals that returned no source", raw: "countIf(kind = 'retrieval' AND empty(source_ids))"},
	{Name: "violations", Unit: "count", Doc: "trace-contract violations", raw: "sum(length(contract_violations))"},
	{Name: "violating_events", Unit: "count", Doc: "events with a contract violation", raw: "countIf(notEmpty(contract_violations))"},
	{Name: "redactions", Unit: "count", Doc: "secrets redacted at ingest", raw: "sum(redactions)"},
}

// Metrics lists the catalog.
func Metrics() []Metric { return slices.Clone(metrics) }

// MetricNamed returns the catalog's metric name, or false.
func MetricNamed(name string) (Metric, bool) {
	i := slices.IndexFunc(metrics, func(m Metric) bool { return m.Name == name })
	if i < 0 {
		return Metric{}, false
	}
	return metrics[i], true
}

// dimensions are the columns a query may group by (its name is its
// column); "attr.KEY" groups by an attribute's value besides.
var dimensions = []string{"tenant", "environment", "release", "model", "tool", "kind", "status", "actor", "task", "run_id",
	"prompt_version", "policy_version", "decision", "reason_code", "enforcement", "approver_role", "action", "result",
	"authorization", "side_effect", "access_decision", "op", "evaluator", "dataset", "source", "cost_source"}

// Dimensions lists the columns a query may group by.
func Dimensions() []string { return slices.Clone(dimensions) }

// AttrPrefix names an attribute as a dimension or filter: "attr.channel".
const AttrPrefix = "attr."

// Bucket is a query's x-axis.
type Bucket struct {
	// Unit is "" (no time axis), "interval" (Seconds long), "day", "week",
	// "month" or "release".
	Unit    string
	Seconds int64
	// TZ is the time zone days, weeks and months start in ("" is UTC).
	TZ string
}

// AggFilter narrows a query. Empty fields do not filter.
type AggFilter struct {
	Since, Until time.Time // [Since, Until)
	Tenant       string
	Environment  string
	Releases     []string
	Model        string
	Tool         string
	Kinds        []envelope.Kind
	// Attrs are attribute values the events must have (attributes.KEY = v).
	Attrs map[string]string
}

// AggQuery is metrics × dimensions × a bucket.
type AggQuery struct {
	Metrics []string
	By      []string // dimension names, or AttrPrefix+key
	Bucket  Bucket
	Filter  AggFilter
	// Top keeps the Top groups of By with the largest first metric (over
	// the whole filter, not per bucket) and folds the others into one
	// whose every dimension is Other; 0 keeps all.
	Top int
	// Exact reads with FINAL (ingest already drops duplicates).
	Exact bool
	// Raw refuses the rollup even where it could serve.
	Raw bool
}

// Other is the dimension value of the group Top folds the rest into.
const Other = "(other)"

// AggRow is one group: its bucket (zero without a time axis), its
// dimension values in By's order (the release first when the bucket is
// the release), and its metric values in Metrics' order.
type AggRow struct {
	Bucket time.Time `json:"bucket,omitzero"`
	Dims   []string  `json:"dims"`
	Values []float64 `json:"values"`
}

// AggResult is a query's answer.
type AggResult struct {
	Rows []AggRow `json:"rows"`
	// Source is the table read: "agent_events" or "model_usage_hourly".
	Source string `json:"source"`
	// Percentiles is how percentiles were computed.
	Percentiles string `json:"percentiles"`
}

// Percentile methods, as results state them.
const (
	PercentilesExact   = "exact (quantileExactInclusive over raw rows)"
	PercentilesTDigest = "estimated (t-digest merged from the hourly rollup)"
)

// Validate reports what is wrong with q, naming the metric, dimension or
// bucket.
func (q AggQuery) Validate() error {
	if len(q.Metrics) == 0 {
		return fmt.Errorf("query: no metric (one of %s)", metricNames())
	}
	for _, m := range q.Metrics {
		if _, ok := MetricNamed(m); !ok {
			return fmt.Errorf("query: unknown metric %q (one of %s)", m, metricNames())
		}
	}
	for _, d := range q.By {
		if key, ok := strings.CutPrefix(d, AttrPrefix); ok {
			if key == "" || len(key) > 256 {
				return fmt.Errorf("query: dimension %q: want attr.KEY", d)
			}
			continue
		}
		if !slices.Contains(dimensions, d) {
			return fmt.Errorf("query: unknown dimension %q (one of %s, or attr.KEY)", d, strings.Join(dimensions, ", "))
		}
	}
	switch b := q.Bucket; b.Unit {
	case "", "day", "week", "month", "release":
	case "interval":
		if b.Seconds < 60 {
			return fmt.Errorf("query: bucket interval %ds: at least a minute", b.Seconds)
		}
	default:
		return fmt.Errorf("query: bucket %q: want interval, day, week, month or release", b.Unit)
	}
	if q.Bucket.TZ != "" {
		if _, err := time.LoadLocation(q.Bucket.TZ); err != nil {
			return fmt.Errorf("query: time zone %q: %v", q.Bucket.TZ, err)
		}
	}
	if q.Top < 0 {
		return fmt.Errorf("query: top %d: want 0 (all) or more", q.Top)
	}
	return nil
}

func metricNames() string {
	var n []string
	for _, m := range metrics {
		n = append(n, m.Name)
	}
	return strings.Join(n, ", ")
}

// rollup is a table the schema keeps from agent_events that answers some
// queries without reading raw rows.
type rollup struct {
	table, ts string
	// kinds is the kind filter it answers (model_usage_hourly holds model
	// calls only); nil: it answers only queries without one (whole runs).
	kinds []envelope.Kind
	dims  []string
	// metrics are the expressions of the metrics it keeps.
	metrics map[string]string
	// hourly: its time column is whole hours, so the window and buckets
	// must be too.
	hourly bool
	method string
}

// rollups are tried in order; the first that answers a query serves it.
var rollups = []rollup{
	{table: "model_usage_hourly", ts: "hour", kinds: []envelope.Kind{envelope.KindModel}, hourly: true, method: PercentilesTDigest,
		dims: []string{"tenant", "environment", "release", "model"},
		metrics: map[string]string{"events": "sum(calls)", "model_calls": "sum(calls)", "errors": "sum(errors)",
			"error_rate": "sum(errors) / sum(calls)", "input_tokens": "sum(input_tokens)", "output_tokens": "sum(output_tokens)",
			"cost_usd": "sum(cost_usd)", "cache_read_tokens": "sum(cache_read_tokens)", "cost_priced": "sum(cost_priced)",
			"cost_reported": "sum(cost_reported)", "latency_p50": "quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms)[1]",
			"latency_p95": "quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms)[2]", "latency_p99": "quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms)[3]"}},
	// One row per run (partial rows until merged: every figure here is a
	// sum or a distinct count, so partial rows add up); the window and
	// buckets apply to the run's start, its dataset is the run's.
	{table: "run_summaries", ts: "started_at",
		dims: []string{"tenant", "environment", "release", "run_id", "dataset"},
		metrics: map[string]string{"runs": "uniqExact(cityHash64(run_id))", "events": "sum(events)", "model_calls": "sum(model_calls)",
			"tool_calls": "sum(tool_calls)", "errors": "sum(error_events)", "input_tokens": "sum(input_tokens)",
			"output_tokens": "sum(output_tokens)", "cost_usd": "sum(cost_usd)",
			"cost_per_run": "sum(cost_usd) / greatest(uniqExact(cityHash64(run_id)), 1)", "denials": "sum(policy_denials)",
			"violations": "sum(contract_violations)", "redactions": "sum(redactions)"}},
}

// rollup returns the rollup that answers q exactly (but for
// model_usage_hourly's percentiles, t-digest estimates), or nil.
func (q AggQuery) rollup() *rollup {
	f := q.Filter
	if q.Raw || q.Exact || f.Tool != "" || len(f.Attrs) > 0 {
		return nil
	}
	for i := range rollups {
		r := &rollups[i]
		if r.serves(q) {
			return r
		}
	}
	return nil
}

func (r *rollup) serves(q AggQuery) bool {
	f := q.Filter
	if !slices.Equal(f.Kinds, r.kinds) || f.Model != "" && !slices.Contains(r.dims, "model") {
		return false
	}
	if r.hourly && (!hourAligned(f.Since) || !hourAligned(f.Until)) {
		return false
	}
	for _, m := range q.Metrics {
		if r.metrics[m] == "" {
			return false
		}
	}
	for _, d := range q.By {
		if !slices.Contains(r.dims, d) {
			return false
		}
	}
	if !r.hourly {
		return true
	}
	switch b := q.Bucket; b.Unit {
	case "interval":
		return b.Seconds%3600 == 0
	case "day", "week", "month":
		loc, err := time.LoadLocation(b.TZ)
		if err != nil {
			return false
		}
		_, off := time.Now().In(loc).Zone()
		return off%3600 == 0
	}
	return true
}

func hourAligned(t time.Time) bool { return t.IsZero() || t.Truncate(time.Hour).Equal(t) }

// aggData is what aggregate.sql renders: the catalog's expressions,
// values bound.
type aggData struct {
	Table, Final, Where string
	Select, Group       []string
}

// Aggregate runs q. Rows come in bucket, then dimension order.
func Aggregate(ctx context.Context, conn driver.Conn, q AggQuery) (AggResult, error) {
	if err := q.Validate(); err != nil {
		return AggResult{}, err
	}
	ru := q.rollup()
	rollup := ru != nil
	d := aggData{Table: "agent_events"}
	res := AggResult{Source: "agent_events", Percentiles: PercentilesExact}
	first, _ := MetricNamed(q.Metrics[0])
	tsCol, weight := "ts", first.raw
	if rollup {
		d.Table, tsCol, weight = ru.table, ru.ts, ru.metrics[first.Name]
		res.Source, res.Percentiles = ru.table, ru.method
	} else if q.Exact {
		d.Final = " FINAL"
	}
	var args []any
	bind := func(v any) string {
		name := fmt.Sprintf("p%d", len(args))
		args = append(args, clickhouse.Named(name, v))
		return "@" + name
	}
	tz := q.Bucket.TZ
	if tz == "" {
		tz = "UTC"
	}
	var bucketExpr string
	switch q.Bucket.Unit {
	case "interval":
		bucketExpr = fmt.Sprintf("toStartOfInterval(%s, INTERVAL %d SECOND, 'UTC')", tsCol, q.Bucket.Seconds)
	case "day":
		bucketExpr = fmt.Sprintf("toDateTime(toStartOfDay(%s, %s), 'UTC')", tsCol, bind(tz))
	case "week":
		bucketExpr = fmt.Sprintf("toDateTime(toMonday(%s, %s), %s)", tsCol, bind(tz), bind(tz))
	case "month":
		bucketExpr = fmt.Sprintf("toDateTime(toStartOfMonth(%s, %s), %s)", tsCol, bind(tz), bind(tz))
	}
	var dims []string
	if q.Bucket.Unit == "release" {
		dims = append(dims, "release")
	}
	for _, dim := range q.By {
		if key, ok := strings.CutPrefix(dim, AttrPrefix); ok {
			dims = append(dims, "JSONExtractString(attributes, "+bind(key)+")")
		} else {
			dims = append(dims, "toString("+dim+")")
		}
	}
	// The filter, once for the query and once for its top-N subquery.
	where := func() string { return whereClause(q.Filter.conditions(tsCol, !rollup, bind)) }
	d.Where = where()
	if q.Top > 0 && len(q.By) > 0 {
		// The Top groups by weight; every other group's dimensions fold
		// into Other, so its figures (percentiles too) are computed over
		// its own rows.
		grouped := dims[len(dims)-len(q.By):]
		list := strings.Join(grouped, ", ")
		in := fmt.Sprintf("(%s) IN (SELECT %s FROM %s%s%s GROUP BY %s ORDER BY %s DESC, %s LIMIT %s)",
			list, list, d.Table, d.Final, where(), list, weight, list, bind(q.Top))
		other := bind(Other)
		for i, e := range grouped {
			grouped[i] = fmt.Sprintf("if(%s, %s, %s)", in, e, other)
		}
	}
	if bucketExpr != "" {
		d.Select = append(d.Select, bucketExpr+" AS bucket")
		d.Group = append(d.Group, "bucket")
	}
	for i, e := range dims {
		d.Select = append(d.Select, fmt.Sprintf("%s AS d%d", e, i))
		d.Group = append(d.Group, fmt.Sprintf("d%d", i))
	}
	for i, name := range q.Metrics {
		m, _ := MetricNamed(name)
		e := m.raw
		if rollup {
			e = ru.metrics[name]
		}
		d.Select = append(d.Select, fmt.Sprintf("ifNull(toFloat64(%s), 0) AS m%d", e, i)) // a percentile of no value is NULL
	}
	rows, err := conn.Query(ctx, stmts.Render("aggregate", d), args...)
	if err != nil {
		return AggResult{}, fmt.Errorf("events: aggregate: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			bucket time.Time
			ds     = make([]string, len(dims))
			vs     = make([]float64, len(q.Metrics))
			dest   []any
		)
		if bucketExpr != "" {
			dest = append(dest, &bucket)
		}
		for i := range ds {
			dest = append(dest, &ds[i])
		}
		for i := range vs {
			dest = append(dest, &vs[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return AggResult{}, fmt.Errorf("events: aggregate: %w", err)
		}
		for i, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				vs[i] = 0 // a ratio or percentile of nothing
			}
		}
		res.Rows = append(res.Rows, AggRow{Bucket: bucket.UTC(), Dims: ds, Values: vs})
	}
	if err := rows.Err(); err != nil {
		return AggResult{}, fmt.Errorf("events: aggregate: %w", err)
	}
	return res, nil
}

// conditions are f's conditions on a table whose time column is tsCol,
// each value bound with bind; withKinds says whether the table has a kind
// column (the rollup holds model calls only).
func (f AggFilter) conditions(tsCol string, withKinds bool, bind func(any) string) []string {
	var w []string
	if !f.Since.IsZero() {
		w = append(w, fmt.Sprintf("%s >= fromUnixTimestamp64Micro(%s, 'UTC')", tsCol, bind(f.Since.UnixMicro())))
	}
	if !f.Until.IsZero() {
		w = append(w, fmt.Sprintf("%s < fromUnixTimestamp64Micro(%s, 'UTC')", tsCol, bind(f.Until.UnixMicro())))
	}
	for _, c := range [][2]string{{"tenant", f.Tenant}, {"environment", f.Environment}, {"model", f.Model}, {"tool", f.Tool}} {
		if c[1] != "" {
			w = append(w, c[0]+" = "+bind(c[1]))
		}
	}
	if len(f.Releases) > 0 {
		w = append(w, "release IN "+bind(f.Releases))
	}
	if len(f.Kinds) > 0 && withKinds {
		kinds := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			kinds[i] = string(k)
		}
		w = append(w, "kind IN "+bind(kinds))
	}
	keys := slices.Sorted(maps.Keys(f.Attrs))
	for _, k := range keys {
		w = append(w, fmt.Sprintf("JSONExtractString(attributes, %s) = %s", bind(k), bind(f.Attrs[k])))
	}
	return w
}

func whereClause(w []string) string {
	if len(w) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w, " AND ")
}
