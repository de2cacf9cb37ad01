package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/events"
)

// Charts are inline SVG drawn here, in Go, so an HTML report shows them
// with no script and no network. Every label is a Cell or a dimension
// value, escaped by html/template; the same table draws the same bytes.

// svgDoc is one chart: shapes in a box of W × H.
type svgDoc struct {
	Kind, Title string
	W, H        int
	Rects       []svgRect
	Lines       []svgLine
	Dots        []svgDot
	Texts       []svgText
}

type svgRect struct{ X, Y, W, H, Fill, Tip string }
type svgLine struct{ Points, Stroke, Tip string }
type svgDot struct{ X, Y, Fill, Tip string }
type svgText struct{ X, Y, Anchor, Class, S string }

var svgTmpl = template.Must(template.New("svg").Parse(`<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{{.Kind}}" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" role="img" aria-label="{{.Title}}">` +
	`<title>{{.Title}}</title>` +
	`{{range .Rects}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}">{{if .Tip}}<title>{{.Tip}}</title>{{end}}</rect>{{end}}` +
	`{{range .Lines}}<polyline points="{{.Points}}" fill="none" stroke="{{.Stroke}}" stroke-width="2"><title>{{.Tip}}</title></polyline>{{end}}` +
	`{{range .Dots}}<circle cx="{{.X}}" cy="{{.Y}}" r="2.5" fill="{{.Fill}}"><title>{{.Tip}}</title></circle>{{end}}` +
	`{{range .Texts}}<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}" class="{{.Class}}">{{.S}}</text>{{end}}` +
	`</svg>`))

func (d *svgDoc) render() (template.HTML, error) {
	var b bytes.Buffer
	if err := svgTmpl.Execute(&b, d); err != nil {
		return "", fmt.Errorf("reports: chart %q: %w", d.Title, err)
	}
	return template.HTML(b.String()), nil // html/template escaped every value
}

func (d *svgDoc) text(x, y float64, anchor, class, s string) {
	d.Texts = append(d.Texts, svgText{f1(x), f1(y), anchor, class, s})
}

// palette is Okabe and Ito's, told apart by colour-blind readers too;
// series past it share grey.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

const restColor = "#999999"

func color(i int) string {
	if i < len(palette) {
		return palette[i]
	}
	return restColor
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// niceMax is the smallest 1, 2 or 5 × 10^k at or above v (1 for v ≤ 0),
// the top of a value axis.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// additive reports whether a metric's values of parts sum to the whole's
// (counts, tokens, dollars; not a per-unit cost), so bars of it may stack
// and --fail-on may total it.
func additive(m events.Metric) bool {
	return m.Unit == "count" || m.Unit == "tokens" || (m.Unit == "usd" && !strings.HasSuffix(m.Name, "_per_run"))
}

// label is a row's dimension values as one label.
func label(dims []string) string {
	if len(dims) == 0 {
		return "all"
	}
	return strings.Join(dims, " · ")
}

// clip shortens a label to n runes for an axis (the full text is in the
// shape's tooltip and the table).
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// ChartKind is the chart WriteHTML draws for t: "heatmap" for a table
// grouped by exactly a case (dimension "case" or "case_id") and
// "release" whose first metric is a ratio (a pass rate: cases × releases);
// "line" for one with a time bucket (a panel per metric, a line per
// group); "bars" for one grouped by dimensions or by release (a panel per
// metric; stacked by the second dimension when there are two and the
// metric adds up); "" for a single row, which needs no chart.
func ChartKind(t *Table) string {
	switch {
	case len(t.Rows) == 0 || len(t.Metrics) == 0:
		return ""
	case heatmapDims(t) != nil:
		return "heatmap"
	case t.HasBucket():
		return "line"
	case len(t.Dims) > 0:
		return "bars"
	}
	return ""
}

// heatmapDims are t's case and release dimension indexes, or nil.
func heatmapDims(t *Table) []int {
	if len(t.Dims) != 2 || t.HasBucket() || len(t.Metrics) == 0 || t.Metrics[0].Unit != "ratio" {
		return nil
	}
	c := slices.IndexFunc(t.Dims, func(d string) bool { return d == "case" || d == "case_id" })
	r := slices.Index(t.Dims, "release")
	if c < 0 || r < 0 {
		return nil
	}
	return []int{c, r}
}

// maxPanels bounds the panels of one table: a panel per metric.
const maxPanels = 8

// charts draws t's charts (ChartKind): none, one heatmap, or a panel per
// metric.
func charts(t *Table) ([]template.HTML, error) {
	var docs []*svgDoc
	switch ChartKind(t) {
	case "heatmap":
		docs = append(docs, heatmap(t))
	case "line":
		for j := range min(len(t.Metrics), maxPanels) {
			docs = append(docs, lineChart(t, j))
		}
	case "bars":
		for j := range min(len(t.Metrics), maxPanels) {
			docs = append(docs, barChart(t, j))
		}
	}
	var out []template.HTML
	for _, d := range docs {
		h, err := d.render()
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// maxSeries is how many groups a line chart draws, the largest.
const maxSeries = 8

// lineChart draws metric j of a bucketed table: x the buckets (gap-filled
// by Run, so evenly spaced), a line per group.
func lineChart(t *Table, j int) *svgDoc {
	m := t.Metrics[j]
	const w, h, left, right, top, bottom = 480.0, 220.0, 70.0, 12.0, 24.0, 44.0
	var buckets []time.Time
	series := map[string][]float64{} // group → value per bucket
	total := map[string]float64{}
	var groups []string
	for _, r := range t.Rows {
		if !slices.ContainsFunc(buckets, r.Bucket.Equal) {
			buckets = append(buckets, r.Bucket)
		}
	}
	slices.SortFunc(buckets, func(a, b time.Time) int { return a.Compare(b) })
	for _, r := range t.Rows {
		g := label(r.Dims)
		if _, ok := series[g]; !ok {
			series[g] = make([]float64, len(buckets))
			groups = append(groups, g)
		}
		i := slices.IndexFunc(buckets, r.Bucket.Equal)
		series[g][i] += r.Values[j]
		total[g] += r.Values[j]
	}
	slices.SortStableFunc(groups, func(a, b string) int {
		if total[a] != total[b] {
			if total[a] > total[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	title := t.Title + ": " + m.Name
	if len(groups) > maxSeries {
		title += fmt.Sprintf(" (the %d largest of %d groups)", maxSeries, len(groups))
		groups = groups[:maxSeries]
	}
	highest := 0.0
	for _, g := range groups {
		highest = max(highest, slices.Max(series[g]))
	}
	ymax := niceMax(highest)
	legend := len(groups) > 1 || len(t.Dims) > 0
	d := &svgDoc{Kind: "line", Title: title, W: int(w), H: int(h)}
	if legend {
		d.H += 16 * ((len(groups) + 2) / 3)
	}
	pw, ph := w-left-right, h-top-bottom
	x := func(i int) float64 {
		if len(buckets) < 2 {
			return left + pw/2
		}
		return left + pw*float64(i)/float64(len(buckets)-1)
	}
	y := func(v float64) float64 { return top + ph - ph*v/ymax }
	d.text(left, 14, "start", "title", title)
	for _, v := range []float64{0, ymax / 2, ymax} {
		if c, _ := strconv.ParseFloat(Cell(m, v), 64); c != v {
			continue // a tick its label would misstate (2 for 2.5 calls)
		}
		d.Rects = append(d.Rects, svgRect{f1(left), f1(y(v)), f1(pw), "1", "#dddddd", ""})
		d.text(left-6, y(v)+4, "end", "tick", Cell(m, v))
	}
	for _, i := range slices.Compact([]int{0, len(buckets) / 2, len(buckets) - 1}) {
		anchor := "middle"
		switch {
		case len(buckets) == 1:
		case i == 0:
			anchor = "start"
		case i == len(buckets)-1:
			anchor = "end"
		}
		d.text(x(i), top+ph+16, anchor, "tick", tick(t, buckets[i]))
	}
	for k, g := range groups {
		var pts []string
		for i, v := range series[g] {
			pts = append(pts, f1(x(i))+","+f1(y(v)))
			d.Dots = append(d.Dots, svgDot{f1(x(i)), f1(y(v)), color(k), g + ", " + t.BucketCell(buckets[i]) + ": " + Cell(m, v)})
		}
		d.Lines = append(d.Lines, svgLine{strings.Join(pts, " "), color(k), g})
		if !legend {
			continue
		}
		lx, ly := left+float64(k%3)*150, h+float64(k/3)*16
		d.Rects = append(d.Rects, svgRect{f1(lx), f1(ly - 9), "10", "10", color(k), ""})
		d.text(lx+14, ly, "start", "legend", clip(g, 22))
	}
	return d
}

// tick is a bucket's axis label: the table's BucketCell for days and
// longer, a shorter "01-02 15:04" (UTC) for finer buckets.
func tick(t *Table, b time.Time) string {
	if c := t.BucketCell(b); len(c) <= len("2006-01-02") {
		return c
	}
	return b.UTC().Format("01-02 15:04")
}

// maxBars is how many rows a bar chart draws, in the table's order.
const maxBars = 30

// barChart draws metric j of a grouped table: a horizontal bar per value
// of the first dimension, stacked by the second when there are exactly
// two and the metric adds up; otherwise a bar per row.
func barChart(t *Table, j int) *svgDoc {
	m := t.Metrics[j]
	stacked := len(t.Dims) == 2 && additive(m)
	type bar struct {
		label string
		parts []float64 // by stack index
		total float64
	}
	var bars []*bar
	var stacks []string
	for _, r := range t.Rows {
		key, stack := label(r.Dims), ""
		if stacked {
			key, stack = r.Dims[0], r.Dims[1]
		}
		s := slices.Index(stacks, stack)
		if s < 0 {
			stacks = append(stacks, stack)
			s = len(stacks) - 1
		}
		i := slices.IndexFunc(bars, func(b *bar) bool { return b.label == key })
		if i < 0 {
			bars = append(bars, &bar{label: key})
			i = len(bars) - 1
		}
		b := bars[i]
		for len(b.parts) <= s {
			b.parts = append(b.parts, 0)
		}
		b.parts[s] += r.Values[j]
		b.total += r.Values[j]
	}
	title := t.Title + ": " + m.Name
	if len(bars) > maxBars {
		title += fmt.Sprintf(" (the first %d of %d)", maxBars, len(bars))
		bars = bars[:maxBars]
	}
	highest := 0.0
	for _, b := range bars {
		highest = max(highest, b.total)
	}
	ymax := niceMax(highest)
	const w, left, right, top, rowH = 480.0, 150.0, 70.0, 24.0, 20.0
	legend := 0
	if stacked {
		legend = (len(stacks) + 2) / 3
	}
	h := top + rowH*float64(len(bars)) + 8 + 16*float64(legend)
	d := &svgDoc{Kind: "bars", Title: title, W: int(w), H: int(h)}
	pw := w - left - right
	d.text(0, 14, "start", "title", title)
	for i, b := range bars {
		y := top + rowH*float64(i)
		d.text(left-6, y+rowH/2+4, "end", "label", clip(b.label, 22))
		x := left
		for s, v := range b.parts {
			bw := pw * v / ymax
			tip := b.label + ": " + Cell(m, v)
			if stacked {
				tip = b.label + " · " + stacks[s] + ": " + Cell(m, v)
			}
			d.Rects = append(d.Rects, svgRect{f1(x), f1(y + 3), f1(max(bw, 0)), f1(rowH - 6), color(s), tip})
			x += max(bw, 0)
		}
		d.text(x+4, y+rowH/2+4, "start", "value", Cell(m, b.total))
	}
	if stacked {
		for s, name := range stacks {
			lx, ly := float64(s%3)*160, top+rowH*float64(len(bars))+20+float64(s/3)*16
			d.Rects = append(d.Rects, svgRect{f1(lx), f1(ly - 9), "10", "10", color(s), ""})
			d.text(lx+14, ly, "start", "legend", clip(t.Dims[1]+" "+name, 24))
		}
	}
	return d
}

// gridCell is one cell of a grid: its text, fill and tooltip.
type gridCell struct{ S, Fill, Tip string }

// grid draws labelled rows × columns of cells (the confusion matrix, the
// case × release heatmap).
func grid(kind, title, corner string, rows, cols []string, cells [][]gridCell) *svgDoc {
	const left, top, cw, ch = 150.0, 44.0, 90.0, 26.0
	d := &svgDoc{Kind: kind, Title: title, W: int(left + cw*float64(len(cols)) + 8), H: int(top + ch*float64(len(rows)) + 8)}
	d.text(0, 14, "start", "title", title)
	d.text(left-6, top-8, "end", "tick", corner)
	for c, name := range cols {
		d.text(left+cw*float64(c)+cw/2, top-8, "middle", "label", clip(name, 12))
	}
	for r, name := range rows {
		y := top + ch*float64(r)
		d.text(left-6, y+ch/2+4, "end", "label", clip(name, 22))
		for c, cell := range cells[r] {
			x := left + cw*float64(c)
			d.Rects = append(d.Rects, svgRect{f1(x + 1), f1(y + 1), f1(cw - 2), f1(ch - 2), cell.Fill, cell.Tip})
			d.text(x+cw/2, y+ch/2+4, "middle", "cell", cell.S)
		}
	}
	return d
}

// blend is the colour v (0..1, clamped) of the way from a to b.
func blend(a, b [3]int, v float64) string {
	if math.IsNaN(v) {
		v = 0
	}
	v = max(0, min(1, v))
	var c [3]int
	for i := range c {
		c[i] = int(math.Round(float64(a[i]) + (float64(b[i])-float64(a[i]))*v))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}

// shade is an RGB colour mixed with white: v 0 white, 1 the colour.
func shade(r, g, b int, v float64) string { return blend([3]int{255, 255, 255}, [3]int{r, g, b}, v) }

// heatmap draws a case × release table (ChartKind "heatmap"): a row per
// case, a column per release in the order they first appear, each cell
// its first metric (a rate), red at 0 blending to green at 1; a case
// with no run on a release is grey.
func heatmap(t *Table) *svgDoc {
	ix := heatmapDims(t)
	m := t.Metrics[0]
	var cases, releases []string
	val := map[[2]string]float64{}
	for _, r := range t.Rows {
		c, rel := r.Dims[ix[0]], r.Dims[ix[1]]
		if !slices.Contains(cases, c) {
			cases = append(cases, c)
		}
		if !slices.Contains(releases, rel) {
			releases = append(releases, rel)
		}
		val[[2]string{c, rel}] = r.Values[0]
	}
	cells := make([][]gridCell, len(cases))
	for i, c := range cases {
		for _, rel := range releases {
			v, ok := val[[2]string{c, rel}]
			if !ok {
				cells[i] = append(cells[i], gridCell{"–", "#eeeeee", c + " on " + rel + ": no run"})
				continue
			}
			cells[i] = append(cells[i], gridCell{Cell(m, v), blend([3]int{213, 94, 0}, [3]int{0, 158, 115}, v), c + " on " + rel + ": " + m.Name + " " + Cell(m, v)})
		}
	}
	return grid("heatmap", t.Title+": "+m.Name, t.Dims[ix[0]]+" \\ release", cases, releases, cells)
}

// matrixChart draws a confusion matrix: expected rows × actual columns,
// the diagonal (right) in green, the rest (false allows below it, false
// denies above) in red, each shaded by its share of the largest count.
func matrixChart(m *Matrix) (template.HTML, error) {
	most := 1
	for _, row := range m.Counts {
		for _, n := range row {
			most = max(most, n)
		}
	}
	cells := make([][]gridCell, len(Decisions))
	for e, ed := range Decisions {
		for a, ad := range Decisions {
			n := m.Counts[e][a]
			fill, kind := shade(0, 158, 115, 0.15+0.85*float64(n)/float64(most)), "right"
			switch {
			case a < e:
				kind = "false allow"
			case a > e:
				kind = "false deny"
			}
			if a != e {
				fill = shade(213, 94, 0, 0.15+0.85*float64(n)/float64(most))
			}
			if n == 0 {
				fill = "#f4f4f4"
			}
			cells[e] = append(cells[e], gridCell{strconv.Itoa(n), fill, fmt.Sprintf("expected %s, actual %s: %d (%s)", ed, ad, n, kind)})
		}
	}
	return grid("matrix", "policy "+m.PolicyVersion+": expected × actual", "expected \\ actual", Decisions, Decisions, cells).render()
}
