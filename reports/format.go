package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/evalhouse/evalhouse/events"
)

// Report is a preset's answer: tables over one window. Every format is
// drawn from it, with the same figures (Cell).
type Report struct {
	Name   string   `json:"report"`
	Title  string   `json:"title"`
	Window Window   `json:"window"`
	Tables []*Table `json:"tables"`
	// Matrices are the confusion matrices of the policy report.
	Matrices []*Matrix `json:"matrices,omitempty"`
	// Notes say what the report cannot show from the data it has.
	Notes []string `json:"notes,omitempty"`
	// Expectation is the --fail-on expression and its verdict, when one
	// was given.
	Expectation *Expectation `json:"expectation,omitempty"`
}

// Window is the span a report covers, and the zone its days start in.
type Window struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	TZ    string    `json:"tz,omitempty"`
}

// Formats lists the output formats, for --help.
var Formats = []string{"table", "json", "csv", "markdown", "html"}

// Write draws r in format to w.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case "table", "":
		return WriteText(w, r)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		return WriteCSV(w, r)
	case "markdown", "md":
		return WriteMarkdown(w, r)
	case "html":
		return WriteHTML(w, r)
	}
	return fmt.Errorf("reports: format %q: want one of %s", format, strings.Join(Formats, ", "))
}

// Cell is how every text format shows a metric's value: counts and tokens
// whole, dollars to 4 places, milliseconds to 1, ratios to 4.
func Cell(m events.Metric, v float64) string {
	switch m.Unit {
	case "usd", "ratio":
		return strconv.FormatFloat(v, 'f', 4, 64)
	case "ms":
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// BucketCell is how text formats show a row's bucket: a date for days,
// weeks and months (in the report's zone), else RFC 3339 in UTC.
func (t *Table) BucketCell(b time.Time) string {
	switch t.Bucket {
	case "":
		return ""
	case "1d", "1w", "1mo":
		loc, err := time.LoadLocation(t.Query.Filter.TZ)
		if err != nil {
			loc = time.UTC
		}
		return b.In(loc).Format("2006-01-02")
	}
	return b.UTC().Format(time.RFC3339)
}

// Header is the table's column names: the bucket, the dimensions, the
// metrics.
func (t *Table) Header() []string {
	var h []string
	if t.HasBucket() {
		h = append(h, "bucket")
	}
	h = append(h, t.Dims...)
	for _, m := range t.Metrics {
		h = append(h, m.Name)
	}
	return h
}

// HasBucket reports whether rows have a time bucket.
func (t *Table) HasBucket() bool { return t.Bucket != "" && t.Bucket != "release" }

// None is how text formats show an empty dimension value (JSON keeps "").
const None = "(none)"

// Cells is row i as text, in Header's order.
func (t *Table) Cells(i int) []string {
	r := t.Rows[i]
	var c []string
	if t.HasBucket() {
		c = append(c, t.BucketCell(r.Bucket))
	}
	for _, d := range r.Dims {
		if d == "" {
			d = None
		}
		c = append(c, d)
	}
	for j, m := range t.Metrics {
		c = append(c, Cell(m, r.Values[j]))
	}
	return c
}

// Footer says where the figures come from and how percentiles were
// computed.
func (t *Table) Footer() string {
	s := "source: " + t.Source
	for _, m := range t.Metrics {
		if m.Quantile() {
			s += "; percentiles: " + t.Method
			break
		}
	}
	if t.Note != "" {
		s += "; " + t.Note
	}
	return s
}

func (r *Report) heading() string {
	s := fmt.Sprintf("%s, %s to %s", r.Title, r.Window.Since.UTC().Format(time.RFC3339), r.Window.Until.UTC().Format(time.RFC3339))
	if r.Window.TZ != "" {
		s += " (days in " + r.Window.TZ + ")"
	}
	return s
}

// WriteText draws r as aligned tables, one after another.
func WriteText(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, r.heading())
	if e := r.Expectation; e != nil {
		fmt.Fprintf(tw, "\nexpectation %s: %s\n", e.Verdict(), e.Summary())
	}
	for _, t := range r.Tables {
		fmt.Fprintf(tw, "\n%s\n", t.Title)
		fmt.Fprintln(tw, strings.Join(t.Header(), "\t"))
		for i := range t.Rows {
			line := strings.Join(t.Cells(i), "\t")
			if f := t.Flags[i]; len(f) > 0 {
				line += "\t! " + strings.Join(f, "; ")
			}
			fmt.Fprintln(tw, line)
		}
		if len(t.Rows) == 0 {
			fmt.Fprintln(tw, "(no events)")
		}
		fmt.Fprintf(tw, "(%s)\n", t.Footer())
	}
	for _, m := range r.Matrices {
		m.writeText(tw)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(tw, "\nnote: %s\n", n)
	}
	return tw.Flush()
}

// WriteCSV draws r as CSV: one block a table, each with its header row
// (its first column the table's title), blank lines between them.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	for k, t := range r.Tables {
		if k > 0 {
			cw.Flush()
			io.WriteString(w, "\n")
		}
		cw.Write(append([]string{"table"}, t.Header()...))
		for i := range t.Rows {
			cw.Write(append([]string{t.Title}, t.Cells(i)...))
		}
	}
	for _, m := range r.Matrices {
		cw.Flush()
		io.WriteString(w, "\n")
		m.writeCSV(cw)
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdown draws r for a pull-request comment or a job summary.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", r.heading())
	if e := r.Expectation; e != nil {
		fmt.Fprintf(&b, "\n> **Expectation %s:** %s\n", e.Verdict(), e.Summary())
	}
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "\n## %s\n\n", t.Title)
		h := t.Header()
		fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(h, " | "), strings.Repeat("---|", len(h)))
		for i := range t.Rows {
			cells := t.Cells(i)
			for j, c := range cells {
				cells[j] = strings.ReplaceAll(c, "|", `\|`)
			}
			fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
		}
		if len(t.Rows) == 0 {
			b.WriteString("\n(no events)\n")
		}
		fmt.Fprintf(&b, "\n_%s_\n", t.Footer())
	}
	for _, m := range r.Matrices {
		m.writeMarkdown(&b)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n> %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
