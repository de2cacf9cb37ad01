package reports

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// Query is one table of a report as its reader asks for it: metrics ×
// dimensions × a time bucket, filtered (the query model; see
// docs/reports.md). Run turns it into an events.AggQuery, resolving the
// bucket and filling gaps.
type Query struct {
	Metrics []string `json:"metrics"`
	By      []string `json:"by,omitempty"`
	// Bucket is "" or "none" (no time axis), "auto" (about 50 buckets
	// over the window), "minute", "hour", "day", "week", "month", or
	// "release" (the release as the x-axis).
	Bucket string `json:"bucket,omitempty"`
	Filter Filter `json:"filter"`
	// Top keeps the Top groups with the largest first metric and folds
	// the rest into one "(other)" row; 0 keeps all.
	Top int `json:"top,omitempty"`
	// Exact reads with FINAL (never needed after ingest's dedup).
	Exact bool `json:"exact,omitempty"`
	// Raw reads the raw rows even where the hourly rollup would serve
	// (exact percentiles).
	Raw bool `json:"raw,omitempty"`
}

// Filter is the window and the values rows must have.
type Filter struct {
	Since       time.Time         `json:"since"`
	Until       time.Time         `json:"until"`
	TZ          string            `json:"tz,omitempty"`
	Tenant      string            `json:"tenant,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Releases    []string          `json:"releases,omitempty"`
	Model       string            `json:"model,omitempty"`
	Tool        string            `json:"tool,omitempty"`
	Kinds       []envelope.Kind   `json:"kinds,omitempty"`
	Attrs       map[string]string `json:"attrs,omitempty"`
}

// Budget bounds one query on the engine; zero fields do not.
type Budget struct {
	Timeout   time.Duration
	MaxMemory int64 // bytes
}

// Table is a query's answer, as every format draws it.
type Table struct {
	Title string `json:"title"`
	Query Query  `json:"query"`
	// Bucket is the resolved time axis: "" (none), "release", or its
	// step: "1m", "5m", "1h", "1d", "1w", "1mo", ….
	Bucket  string           `json:"bucket,omitempty"`
	Dims    []string         `json:"dimensions"`
	Metrics []events.Metric  `json:"metrics"`
	Rows    []events.AggRow  `json:"rows"`
	Source  string           `json:"source"`
	Method  string           `json:"percentiles"`
	Note    string           `json:"note,omitempty"`
	Flags   map[int][]string `json:"flags,omitempty"` // row index → what is wrong with it
}

// steps are the time axes auto picks from, smallest first.
var steps = []struct {
	name string
	b    events.Bucket
	d    time.Duration
}{
	{"1m", events.Bucket{Unit: "interval", Seconds: 60}, time.Minute},
	{"5m", events.Bucket{Unit: "interval", Seconds: 300}, 5 * time.Minute},
	{"15m", events.Bucket{Unit: "interval", Seconds: 900}, 15 * time.Minute},
	{"1h", events.Bucket{Unit: "interval", Seconds: 3600}, time.Hour},
	{"3h", events.Bucket{Unit: "interval", Seconds: 3 * 3600}, 3 * time.Hour},
	{"6h", events.Bucket{Unit: "interval", Seconds: 6 * 3600}, 6 * time.Hour},
	{"12h", events.Bucket{Unit: "interval", Seconds: 12 * 3600}, 12 * time.Hour},
	{"1d", events.Bucket{Unit: "day"}, 24 * time.Hour},
	{"1w", events.Bucket{Unit: "week"}, 7 * 24 * time.Hour},
	{"1mo", events.Bucket{Unit: "month"}, 30 * 24 * time.Hour},
}

// AutoBuckets is about how many buckets "auto" makes over a window.
const AutoBuckets = 50

// resolve returns the bucket q asks for over [since, until).
func resolve(bucket string, since, until time.Time) (string, events.Bucket, error) {
	named := map[string]string{"minute": "1m", "hour": "1h", "day": "1d", "week": "1w", "month": "1mo"}
	switch bucket {
	case "", "none":
		return "", events.Bucket{}, nil
	case "release":
		return "release", events.Bucket{Unit: "release"}, nil
	case "auto":
		span := until.Sub(since)
		for _, s := range steps {
			if span/s.d <= AutoBuckets {
				return s.name, s.b, nil
			}
		}
		last := steps[len(steps)-1]
		return last.name, last.b, nil
	}
	for _, s := range steps {
		if s.name == bucket || named[bucket] == s.name {
			return s.name, s.b, nil
		}
	}
	return "", events.Bucket{}, fmt.Errorf("bucket %q: want auto, minute, hour, day, week, month, release or none", bucket)
}

// Run answers q. The window is required (reports default it); a bucket
// of an hour or more widens it to whole hours, so the hourly rollup can
// serve a query of model calls.
func Run(ctx context.Context, conn driver.Conn, title string, q Query, budget Budget) (*Table, error) {
	f := q.Filter
	if f.Since.IsZero() || f.Until.IsZero() || !f.Since.Before(f.Until) {
		return nil, fmt.Errorf("reports: %s: window [%s, %s) is empty", title, f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339))
	}
	name, b, err := resolve(q.Bucket, f.Since, f.Until)
	if err != nil {
		return nil, fmt.Errorf("reports: %s: %w", title, err)
	}
	b.TZ = f.TZ
	since, until := f.Since, f.Until
	if b.Unit != "interval" || b.Seconds >= 3600 {
		since, until = since.Truncate(time.Hour), until.Add(time.Hour-1).Truncate(time.Hour)
	}
	aq := events.AggQuery{Metrics: q.Metrics, By: q.By, Bucket: b, Top: q.Top, Exact: q.Exact, Raw: q.Raw,
		Filter: events.AggFilter{Since: since, Until: until, Tenant: f.Tenant, Environment: f.Environment, Releases: f.Releases,
			Model: f.Model, Tool: f.Tool, Kinds: f.Kinds, Attrs: f.Attrs}}
	if budget.Timeout > 0 || budget.MaxMemory > 0 {
		set := clickhouse.Settings{}
		if budget.Timeout > 0 {
			set["max_execution_time"] = max(1, int(budget.Timeout.Seconds()))
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, budget.Timeout+5*time.Second)
			defer cancel()
		}
		if budget.MaxMemory > 0 {
			set["max_memory_usage"] = budget.MaxMemory
		}
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(set))
	}
	res, err := events.Aggregate(ctx, conn, aq)
	if err != nil {
		return nil, fmt.Errorf("reports: %s: %w", title, err)
	}
	t := &Table{Title: title, Query: q, Bucket: name, Dims: slices.Clone(q.By), Rows: res.Rows, Source: res.Source, Method: res.Percentiles}
	if b.Unit == "release" {
		t.Dims = append([]string{"release"}, t.Dims...)
	}
	for _, m := range q.Metrics {
		mm, _ := events.MetricNamed(m)
		t.Metrics = append(t.Metrics, mm)
	}
	switch {
	case b.Unit != "" && b.Unit != "release":
		t.Rows = fill(t.Rows, bucketStarts(b, since, until), len(q.Metrics))
	case q.Top > 0:
		// A top-N reads largest first, the folded rest last.
		slices.SortStableFunc(t.Rows, func(x, y events.AggRow) int {
			if ox, oy := slices.Contains(x.Dims, events.Other), slices.Contains(y.Dims, events.Other); ox != oy {
				if ox {
					return 1
				}
				return -1
			}
			return cmp.Compare(y.Values[0], x.Values[0])
		})
	}
	return t, nil
}

// bucketStarts lists every bucket of b that [since, until) touches.
func bucketStarts(b events.Bucket, since, until time.Time) []time.Time {
	loc, err := time.LoadLocation(b.TZ)
	if err != nil {
		loc = time.UTC
	}
	var start func(time.Time) time.Time
	var next func(time.Time) time.Time
	switch b.Unit {
	case "interval":
		d := time.Duration(b.Seconds) * time.Second
		start = func(t time.Time) time.Time { return t.Truncate(d) }
		next = func(t time.Time) time.Time { return t.Add(d) }
	case "day":
		start = func(t time.Time) time.Time {
			t = t.In(loc)
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		}
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	case "week":
		start = func(t time.Time) time.Time {
			t = t.In(loc)
			wd := (int(t.Weekday()) + 6) % 7 // Monday 0
			return time.Date(t.Year(), t.Month(), t.Day()-wd, 0, 0, 0, 0, loc)
		}
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	case "month":
		start = func(t time.Time) time.Time { t = t.In(loc); return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc) }
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	}
	var out []time.Time
	for t := start(since); t.Before(until); t = next(t) {
		out = append(out, t.UTC())
	}
	return out
}

// fill returns rows with a zero row for every bucket a group has none in,
// in bucket, then group order (the order Aggregate returns).
func fill(rows []events.AggRow, buckets []time.Time, nMetrics int) []events.AggRow {
	type key = string
	var groups [][]string
	seen := map[key]bool{}
	have := map[key]bool{}
	gk := func(d []string) key { return fmt.Sprintf("%q", d) }
	for _, r := range rows {
		k := gk(r.Dims)
		if !seen[k] {
			seen[k] = true
			groups = append(groups, r.Dims)
		}
		have[r.Bucket.Format(time.RFC3339)+k] = true
	}
	if len(groups) == 0 {
		groups = [][]string{{}}
	}
	slices.SortFunc(groups, func(a, b []string) int { return slices.Compare(a, b) })
	out := rows
	for _, b := range buckets {
		for _, g := range groups {
			if !have[b.Format(time.RFC3339)+gk(g)] {
				out = append(out, events.AggRow{Bucket: b, Dims: g, Values: make([]float64, nMetrics)})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b events.AggRow) int {
		if c := a.Bucket.Compare(b.Bucket); c != 0 {
			return c
		}
		return slices.Compare(a.Dims, b.Dims)
	})
	return out
}
