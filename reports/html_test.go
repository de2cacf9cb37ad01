package reports

import (
	"bytes"
	"encoding/base64"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/events"
)

func metricsNamed(t testing.TB, names ...string) []events.Metric {
	t.Helper()
	var ms []events.Metric
	for _, n := range names {
		m, ok := events.MetricNamed(n)
		if !ok {
			t.Fatalf("no metric %s", n)
		}
		ms = append(ms, m)
	}
	return ms
}

// sampleReport has one table of every chart kind, a flagged row, a
// confusion matrix and a note; evil goes where user data goes (dimension
// values, run and case ids).
func sampleReport(t testing.TB, evil string) *Report {
	day := time.Now().UTC().Truncate(24 * time.Hour)
	since := day.AddDate(0, 0, -3)
	row := func(b time.Time, v []float64, dims ...string) events.AggRow {
		return events.AggRow{Bucket: b, Dims: dims, Values: v}
	}
	byModel := &Table{Title: "Model calls by model", Dims: []string{"model"}, Metrics: metricsNamed(t, "model_calls", "cost_usd", "latency_p95"),
		Rows:   []events.AggRow{row(time.Time{}, []float64{12, 0.123456, 812.25}, "gpt-4o"), row(time.Time{}, []float64{3, 0.5, 90}, evil)},
		Source: "agent_events", Method: events.PercentilesExact, Flags: map[int][]string{1: {"tool_calls 3 < 20: rates not significant"}}}
	stacked := &Table{Title: "Decisions by policy version", Dims: []string{"policy_version", "decision"}, Metrics: metricsNamed(t, "policy_decisions"),
		Rows:   []events.AggRow{row(time.Time{}, []float64{4}, "p@1", "allow"), row(time.Time{}, []float64{2}, "p@1", "deny"), row(time.Time{}, []float64{5}, "p@2", evil)},
		Source: "agent_events"}
	var trend []events.AggRow
	for d := range 3 {
		trend = append(trend, row(since.AddDate(0, 0, d), []float64{float64(d * 10), float64(d) * 0.25}))
	}
	overTime := &Table{Title: "Cost over time", Bucket: "1d", Metrics: metricsNamed(t, "model_calls", "cost_usd"), Rows: trend, Source: "model_usage_hourly"}
	heat := &Table{Title: "Pass rate by case and release", Dims: []string{"case_id", "release"}, Metrics: metricsNamed(t, "error_rate"),
		Rows: []events.AggRow{row(time.Time{}, []float64{1}, "c1", "2.3.1"), row(time.Time{}, []float64{0.5}, "c1", "2.4.0"), row(time.Time{}, []float64{0}, evil, "2.4.0")}}
	m := &Matrix{PolicyVersion: "refund@7"}
	m.Add("allow", "allow")
	m.Add("deny", "allow")
	m.Add("allow", "require_approval")
	m.Misses = []Miss{{Kind: "false_allow", RunID: evil, Dataset: "ds", CaseID: "c9", Expected: "deny", Actual: "allow", Promote: "evalhouse incident open --run " + evil}}
	return &Report{Name: "sample", Title: "Sample", Window: Window{Since: since, Until: day}, Tables: []*Table{byModel, stacked, overTime, heat},
		Matrices: []*Matrix{m}, Notes: []string{"a note"}}
}

func writeHTML(t testing.TB, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	sectionRe = regexp.MustCompile(`(?s)<section id="t-\d+" class="part">(.*?)</section>`)
	tbodyRe   = regexp.MustCompile(`(?s)<tbody>(.*?)</tbody>`)
	trRe      = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	tdRe      = regexp.MustCompile(`(?s)<td(?: class="num")?>(.*?)</td>`)
	csvRe     = regexp.MustCompile(`href="data:text/csv;charset=utf-8;base64,([A-Za-z0-9+/=]*)"`)
	jsonRe    = regexp.MustCompile(`(?s)<script type="application/json" id="report-data">(.*?)</script>`)
)

// The HTML report shows every table's rows with the Cells every other
// format shows, links each table's CSV as WriteCSV writes it alone, holds
// the --format json bytes, and draws each table's chart.
func TestHTMLAgreesWithTheOtherFormats(t *testing.T) {
	r := sampleReport(t, "<b>bold</b>")
	out := writeHTML(t, r)
	secs := sectionRe.FindAllStringSubmatch(out, -1)
	if len(secs) != len(r.Tables)+len(r.Matrices) {
		t.Fatalf("%d sections, want %d", len(secs), len(r.Tables)+len(r.Matrices))
	}
	for k, tb := range r.Tables {
		sec := secs[k][1]
		body := tbodyRe.FindStringSubmatch(sec)[1]
		rows := trRe.FindAllStringSubmatch(body, -1)
		if len(rows) != len(tb.Rows) {
			t.Fatalf("%s: %d rows, want %d", tb.Title, len(rows), len(tb.Rows))
		}
		for i, tr := range rows {
			var got []string
			for _, td := range tdRe.FindAllStringSubmatch(tr[1], -1) {
				got = append(got, html.UnescapeString(td[1]))
			}
			if want := tb.Cells(i); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s row %d: %q, want %q", tb.Title, i, got, want)
			}
		}
		var csv bytes.Buffer
		WriteCSV(&csv, &Report{Tables: []*Table{tb}})
		m := csvRe.FindStringSubmatch(sec)
		if m == nil {
			t.Fatalf("%s: no CSV link", tb.Title)
		}
		if b, _ := base64.StdEncoding.DecodeString(m[1]); !bytes.Equal(b, csv.Bytes()) {
			t.Errorf("%s: the CSV link holds\n%s\nwant\n%s", tb.Title, b, csv.Bytes())
		}
		if kind := ChartKind(tb); !strings.Contains(sec, `class="chart chart-`+kind+`"`) {
			t.Errorf("%s: no %q chart", tb.Title, kind)
		}
	}
	if !strings.Contains(secs[4][1], `class="chart chart-matrix"`) || !strings.Contains(secs[4][1], "false_allow 1") {
		t.Errorf("the matrix section:\n%s", secs[4][1])
	}
	var js bytes.Buffer
	Write(&js, r, "json")
	if m := jsonRe.FindStringSubmatch(out); m == nil || m[1] != js.String() {
		t.Errorf("the embedded JSON is not --format json's")
	}
	if !strings.Contains(out, "@media print") || !strings.Contains(out, "! tool_calls 3 &lt; 20") || !strings.Contains(out, "note: a note") {
		t.Error("print CSS, the flagged row or the note missing")
	}
}

// The same Report draws the same bytes (maps of flags iterate in any
// order; nothing is the time of writing), and the file needs nothing from
// a network: no src, no link, no URL but its own data: links and the SVG
// namespace.
func TestHTMLIsDeterministicAndSelfContained(t *testing.T) {
	r := sampleReport(t, "x")
	r.Tables[0].Flags = map[int][]string{0: {"a"}, 1: {"b"}}
	first := writeHTML(t, r)
	for range 20 {
		if writeHTML(t, r) != first {
			t.Fatal("two writes of one report differ")
		}
	}
	for _, bad := range []string{"src=", "<link", "@import", "url(", "@font-face"} {
		if strings.Contains(first, bad) {
			t.Errorf("the report holds %q: it would reach outside the file", bad)
		}
	}
	for _, u := range regexp.MustCompile(`https?://[^"\s<]*`).FindAllString(first, -1) {
		if u != "http://www.w3.org/2000/svg" {
			t.Errorf("the report names %s", u)
		}
	}
}

// User data is escaped wherever it lands: table cells, chart labels and
// tooltips, the misses, the JSON inside.
func TestHTMLEscapesUserData(t *testing.T) {
	tags := strings.Count(writeHTML(t, sampleReport(t, "x")), "<")
	for _, evil := range []string{`<script>alert(1)</script>`, `</script><script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `</title><svg onload=alert(1)>`, "\u2028</textarea>"} {
		out := writeHTML(t, sampleReport(t, evil))
		if n := strings.Count(out, "<"); n != tags {
			t.Errorf("%q: %d '<' in the page, %d with a harmless value: the value opened a tag", evil, n, tags)
		}
		if n := strings.Count(out, "<script"); n != 1 {
			t.Errorf("%q: %d <script> tags, want the one of the data", evil, n)
		}
		for _, bad := range []string{"<img", "<svg onload", "</textarea>"} {
			if strings.Contains(out, bad) {
				t.Errorf("%q: the report holds %q unescaped", evil, bad)
			}
		}
		if !strings.Contains(out, html.EscapeString(evil)) {
			t.Errorf("%q: the value is not shown escaped", evil)
		}
	}
}

func TestChartKinds(t *testing.T) {
	r := sampleReport(t, "x")
	for i, want := range []string{"bars", "bars", "line", "heatmap"} {
		if got := ChartKind(r.Tables[i]); got != want {
			t.Errorf("%s: ChartKind %q, want %q", r.Tables[i].Title, got, want)
		}
	}
	one := &Table{Title: "one", Metrics: metricsNamed(t, "runs"), Rows: []events.AggRow{{Values: []float64{3}}}}
	if ChartKind(one) != "" {
		t.Error("a single row gets a chart")
	}
	// Stacked: a segment per (policy version, decision), one colour per decision.
	svg, err := charts(r.Tables[1])
	if err != nil || len(svg) != 1 {
		t.Fatal(err)
	}
	for _, want := range []string{"p@1 · allow: 4", "p@1 · deny: 2", "p@2 · x: 5", `fill="` + palette[0], `fill="` + palette[1], `fill="` + palette[2]} {
		if !strings.Contains(string(svg[0]), want) {
			t.Errorf("stacked bars lack %q:\n%s", want, svg[0])
		}
	}
	// The heatmap: a cell per case × release, a grey one where a case did not run.
	svg, _ = charts(r.Tables[3])
	for _, want := range []string{"c1 on 2.3.1: error_rate 1.0000", "c1 on 2.4.0: error_rate 0.5000", "x on 2.3.1: no run"} {
		if !strings.Contains(string(svg[0]), want) {
			t.Errorf("heatmap lacks %q:\n%s", want, svg[0])
		}
	}
}

func TestNiceMax(t *testing.T) {
	for _, c := range [][2]float64{{0, 1}, {-3, 1}, {0.7, 1}, {1, 1}, {1.1, 2}, {3, 5}, {7, 10}, {86, 100}, {0.0123, 0.02}} {
		if got := niceMax(c[0]); got != c[1] {
			t.Errorf("niceMax(%v) = %v, want %v", c[0], got, c[1])
		}
	}
}

// FuzzHTMLEscapes: whatever a dimension value holds, the report stays one
// page with one script (the data), and the value never opens a tag.
func FuzzHTMLEscapes(f *testing.F) {
	for _, s := range []string{"<script>alert(1)</script>", "</script>", "a&b", `"'<>`, "\x00\xff", "]]>"} {
		f.Add(s)
	}
	tags := strings.Count(writeHTML(f, sampleReport(f, "x")), "<")
	f.Fuzz(func(t *testing.T, evil string) {
		out := writeHTML(t, sampleReport(t, evil))
		if strings.Count(out, "<script") != 1 || strings.Count(out, "</script>") != 1 || strings.Count(out, "<html") != 1 {
			t.Fatalf("%q breaks the page's structure", evil)
		}
		// Every "<" of the value is escaped, so the page has as many as
		// with a harmless value: the same tags.
		if n := strings.Count(out, "<"); n != tags {
			t.Fatalf("%q: %d '<' in the page, %d with a harmless value", evil, n, tags)
		}
	})
}
