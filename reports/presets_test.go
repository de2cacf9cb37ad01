package reports_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/internal/restamp"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/reports"
	"github.com/evalhouse/evalhouse/schema"
)

// examples stores the three example releases, restamped to the hours
// before now, and returns the store's connection and the report window.
func examples(t *testing.T) (driver.Conn, reports.Window) {
	t.Helper()
	s := storetest.New(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	files, err := restamp.Files(t.TempDir(), now, "../examples/support-agent/events-2.3.1.ndjson",
		"../examples/support-agent/events-2.4.0.ndjson", "../examples/support-agent/events-2.4.1.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Urgent: true})
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.ReadNDJSON(ctx, name, f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if _, err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return s.Conn, reports.Window{Since: now.AddDate(0, 0, -30), Until: now.Add(time.Minute)}
}

// Every preset over the example, drawn in every format: each figure of
// the JSON is the same cell in the table, the CSV and the Markdown.
func TestFormatsAgree(t *testing.T) {
	conn, win := examples(t)
	ctx := context.Background()
	for _, name := range reports.Names() {
		t.Run(name, func(t *testing.T) {
			o := reports.Options{Window: win}
			if name == "diff" {
				o.Filter.Releases, o.Against = []string{"2.4.0"}, "2.3.1"
			}
			r, err := reports.Build(ctx, conn, name, o)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, f := range []string{"table", "json", "csv", "markdown"} {
				var b bytes.Buffer
				if err := reports.Write(&b, r, f); err != nil {
					t.Fatal(err)
				}
				out[f] = b.String()
			}
			var back reports.Report
			if err := json.Unmarshal([]byte(out["json"]), &back); err != nil {
				t.Fatal(err)
			}
			csvRows, err := csvRecords(out["csv"])
			if err != nil {
				t.Fatal(err)
			}
			text, md := lines(out["table"]), lines(out["markdown"])
			cells := 0
			for k, tab := range back.Tables {
				for i := range tab.Rows {
					want := tab.Cells(i)
					cells += len(want)
					if !containsRow(csvRows, append([]string{tab.Title}, want...)) {
						t.Errorf("%s %q row %d %v: not in the CSV", name, tab.Title, i, want)
					}
					if !containsLine(md, "| "+strings.Join(want, " | ")+" |") {
						t.Errorf("%s %q row %d %v: not in the Markdown", name, tab.Title, i, want)
					}
					if !containsFields(text, want) {
						t.Errorf("%s %q row %d %v: not in the table", name, tab.Title, i, want)
					}
				}
				if k < len(r.Tables) && len(tab.Rows) != len(r.Tables[k].Rows) {
					t.Errorf("%s %q: %d rows in JSON, %d built", name, tab.Title, len(tab.Rows), len(r.Tables[k].Rows))
				}
			}
			if cells == 0 && name != "evals" { // nothing is scored in this store
				t.Fatalf("%s: no figure", name)
			}
		})
	}
}

// The cost report's figures are the store's: cost by release against a
// plain GROUP BY, and the rollup's model costs against the raw rows'.
func TestCostMatchesTheStore(t *testing.T) {
	conn, win := examples(t)
	ctx := context.Background()
	r, err := reports.Build(ctx, conn, "cost", reports.Options{Window: win})
	if err != nil {
		t.Fatal(err)
	}
	byRelease := table(t, r, "Cost by release")
	rows, err := conn.Query(ctx, "SELECT release, uniqExactIf(run_id, run_id != ''), sum(cost_usd) FROM agent_events GROUP BY release ORDER BY release")
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for ; rows.Next(); i++ {
		var (
			rel  string
			runs uint64
			cost float64
		)
		rows.Scan(&rel, &runs, &cost)
		got := byRelease.Rows[i]
		if got.Dims[0] != rel || got.Values[0] != float64(runs) || math.Abs(got.Values[2]-cost) > 1e-9 {
			t.Errorf("release %s: %v, want runs %d cost %g", rel, got, runs, cost)
		}
	}
	if i != 3 || len(byRelease.Rows) != 3 {
		t.Errorf("%d releases in the store, %d in the report", i, len(byRelease.Rows))
	}
	models := table(t, r, "Model calls by model")
	if models.Source != "model_usage_hourly" || models.Method != events.PercentilesTDigest {
		t.Errorf("model table read %s (%s)", models.Source, models.Method)
	}
	raw, err := reports.Run(ctx, conn, "raw", reports.Query{Metrics: []string{"model_calls", "cost_usd"}, By: []string{"model"},
		Raw: true, Filter: reports.Filter{Since: win.Since, Until: win.Until, Kinds: []envelope.Kind{envelope.KindModel}}}, reports.Budget{})
	if err != nil {
		t.Fatal(err)
	}
	if raw.Source != "agent_events" || len(raw.Rows) != len(models.Rows) {
		t.Fatalf("raw: %s, %d rows; rollup %d", raw.Source, len(raw.Rows), len(models.Rows))
	}
	for i, row := range raw.Rows {
		if m := models.Rows[i]; m.Dims[0] != row.Dims[0] || m.Values[0] != row.Values[0] || math.Abs(m.Values[3]-row.Values[1]) > 1e-9 {
			t.Errorf("model %v: rollup %v, raw %v", row.Dims, m.Values, row.Values)
		}
	}
	top := table(t, r, "Most expensive runs")
	if n := len(top.Rows); n != 11 || top.Rows[n-1].Dims[0] != events.Other || top.Rows[0].Values[0] < top.Rows[1].Values[0] {
		t.Errorf("top runs: %v", top.Rows)
	}
}

// auto makes about 50 buckets and fills the empty ones; days start in
// the zone asked for.
func TestBucketsAndZones(t *testing.T) {
	conn, _ := examples(t)
	ctx := context.Background()
	now := time.Now().UTC()
	week := reports.Filter{Since: now.AddDate(0, 0, -7), Until: now}
	tab, err := reports.Run(ctx, conn, "auto", reports.Query{Metrics: []string{"events"}, Bucket: "auto", Filter: week}, reports.Budget{})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Bucket != "6h" || len(tab.Rows) < 28 || len(tab.Rows) > 30 {
		t.Errorf("7 days auto: bucket %s, %d rows", tab.Bucket, len(tab.Rows))
	}
	var total float64
	for i, row := range tab.Rows {
		total += row.Values[0]
		if i > 0 && row.Bucket.Sub(tab.Rows[i-1].Bucket) != 6*time.Hour {
			t.Errorf("bucket %d at %v after %v", i, row.Bucket, tab.Rows[i-1].Bucket)
		}
	}
	if total != float64(countRows(t, conn)) {
		t.Errorf("buckets hold %v events, the store %d", total, countRows(t, conn))
	}
	kolkata := week
	kolkata.TZ = "Asia/Kolkata"
	days, err := reports.Run(ctx, conn, "days", reports.Query{Metrics: []string{"model_calls"}, Bucket: "day",
		Filter: kolkata}, reports.Budget{})
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Kolkata")
	for _, row := range days.Rows {
		if l := row.Bucket.In(loc); l.Hour() != 0 || l.Minute() != 0 {
			t.Errorf("a Kolkata day starts at %v", l)
		}
	}
	if len(days.Rows) < 7 || !regexp.MustCompile(`^\d{4}-\d\d-\d\d$`).MatchString(days.BucketCell(days.Rows[0].Bucket)) {
		t.Errorf("days: %d rows, first %q", len(days.Rows), days.BucketCell(days.Rows[0].Bucket))
	}
	if _, err := reports.Run(ctx, conn, "bad", reports.Query{Metrics: []string{"events"}, Bucket: "fortnight", Filter: week}, reports.Budget{}); err == nil ||
		!strings.Contains(err.Error(), `bucket "fortnight"`) {
		t.Errorf("bad bucket: %v", err)
	}
	if _, err := reports.Run(ctx, conn, "budget", reports.Query{Metrics: []string{"latency_p99"}, By: []string{"run_id"}, Filter: week},
		reports.Budget{MaxMemory: 1 << 10}); err == nil || !strings.Contains(err.Error(), "memory") {
		t.Errorf("a 1 KiB memory budget: %v", err)
	}
}

func countRows(t *testing.T, conn driver.Conn) uint64 {
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM agent_events WHERE ts >= now() - INTERVAL 7 DAY").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func table(t *testing.T, r *reports.Report, title string) *reports.Table {
	t.Helper()
	for _, tab := range r.Tables {
		if tab.Title == title {
			return tab
		}
	}
	t.Fatalf("%s: no table %q", r.Name, title)
	return nil
}

func csvRecords(s string) ([][]string, error) {
	var out [][]string
	for _, block := range strings.Split(s, "\n\n") {
		rd := csv.NewReader(strings.NewReader(block))
		rd.FieldsPerRecord = -1
		recs, err := rd.ReadAll()
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

func lines(s string) []string { return strings.Split(s, "\n") }

func containsRow(rows [][]string, want []string) bool {
	for _, r := range rows {
		if strings.Join(r, "\x00") == strings.Join(want, "\x00") {
			return true
		}
	}
	return false
}

func containsLine(ls []string, want string) bool {
	for _, l := range ls {
		if l == want {
			return true
		}
	}
	return false
}

// containsFields finds a line of an aligned table whose cells are want.
func containsFields(ls []string, want []string) bool {
	for _, l := range ls {
		f := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(l), -1)
		if n := len(f); n > 0 && strings.HasPrefix(f[n-1], "! ") {
			f = f[:n-1] // a flag after the cells
		}
		if strings.Join(f, "\x00") == strings.Join(want, "\x00") {
			return true
		}
	}
	return false
}
