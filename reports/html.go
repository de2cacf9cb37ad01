package reports

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/evalhouse/evalhouse/events"
)

// HTMLStyle is the stylesheet of the HTML report and of serve's /ui pages:
// system fonts only, a print layout without navigation and downloads.
const HTMLStyle = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem;margin:0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
.window{color:#555;margin:.2rem 0 1rem}nav ol{columns:2;font-size:.9rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem;margin:.5rem 0}
svg.chart{max-width:100%;height:auto;font-size:11px;background:#fff}
svg .title{font-weight:600;font-size:12px}svg .tick,svg .legend{fill:#555}svg .cell{font-weight:600}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0}
th,td{border-bottom:1px solid #ddd;padding:.2rem .6rem;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.flag{color:#a33}
.footer{color:#555;font-size:.8rem;margin:.2rem 0}.downloads a{font-size:.85rem}
.note{border-left:3px solid #bbb;padding-left:.6rem;color:#444}
.loading{color:#777}.error{color:#a33;white-space:pre-wrap}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;font-size:.85rem}
form.filters label{display:flex;flex-direction:column}
@media print{nav,.downloads,form.filters{display:none}section{break-inside:avoid-page}body{margin:0;max-width:none}a{color:inherit;text-decoration:none}}
`

// htmlSection is one table or matrix as the HTML report draws it.
type htmlSection struct {
	ID, Title string
	Charts    []template.HTML
	Header    []string
	Rows      []htmlRow
	Footer    string
	CSVName   string
	CSV       template.URL
	Misses    []Miss
	RunBase   string // links misses to their runs' pages, on live pages
}

type htmlRow struct {
	Cells []htmlCell
	Flag  string
}

type htmlCell struct {
	S    string
	Num  bool
	Href string // a run's page, on live pages
}

type htmlPage struct {
	Heading  string
	Title    string
	CSS      template.CSS
	Sections []htmlSection
	Notes    []string
	JSON     template.JS
}

var htmlTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Heading}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<header><h1>{{.Title}}</h1><p class="window">{{.Heading}}</p></header>
<nav><ol>{{range .Sections}}<li><a href="#{{.ID}}">{{.Title}}</a></li>{{end}}</ol></nav>
<main>
{{template "sections" .}}
</main>
<script type="application/json" id="report-data">{{.JSON}}</script>
</body>
</html>
{{define "sections"}}{{range .Sections}}{{template "section" .}}{{end}}{{range .Notes}}<p class="note">note: {{.}}</p>
{{end}}{{end}}
{{define "section"}}<section id="{{.ID}}" class="part">
<h2>{{.Title}}</h2>
{{if .Charts}}<div class="charts">{{range .Charts}}{{.}}{{end}}</div>
{{end}}<table>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .Cells}}<td{{if .Num}} class="num"{{end}}>{{if .Href}}<a href="{{.Href}}">{{.S}}</a>{{else}}{{.S}}{{end}}</td>{{end}}{{if .Flag}}<td class="flag">! {{.Flag}}</td>{{end}}</tr>
{{else}}<tr><td colspan="{{len .Header}}">(no events)</td></tr>
{{end}}</tbody>
</table>
{{if .Misses}}<ul class="misses">
{{range .Misses}}<li>{{.Kind}}: run {{if $.RunBase}}<a href="{{$.RunBase}}/runs/{{.RunID}}"><code>{{.RunID}}</code></a>{{else}}<code>{{.RunID}}</code>{{end}}, case <code>{{.Dataset}}/{{.CaseID}}</code>, expected {{.Expected}}, got {{.Actual}}: <code>{{.Promote}}</code></li>
{{end}}</ul>
{{end}}{{if .Footer}}<p class="footer">{{.Footer}}</p>
{{end}}<p class="downloads"><a download="{{.CSVName}}" href="{{.CSV}}">download CSV</a></p>
</section>
{{end}}`))

// WriteHTML draws r as one self-contained HTML file: no script to run and
// nothing fetched, so it opens offline and prints. For every table and
// matrix it holds a section: its charts as inline SVG (ChartKind), its
// rows with the same Cells as every other format, its footer, and a
// download link (a data: URL) to the CSV WriteCSV writes for that table
// alone. The report itself is inside as JSON, the bytes `--format json`
// writes, in <script type="application/json" id="report-data">. The same
// Report gives the same bytes: nothing in it is the time of writing.
func WriteHTML(w io.Writer, r *Report) error {
	secs, err := htmlSections(r, "t", "")
	if err != nil {
		return err
	}
	var js bytes.Buffer
	if err := Write(&js, r, "json"); err != nil { // escapes <, > and &: no "</script>" inside
		return err
	}
	page := htmlPage{Heading: r.heading(), Title: r.Title, CSS: template.CSS(HTMLStyle), Sections: secs, Notes: r.Notes, JSON: template.JS(js.String())}
	return htmlTmpl.Execute(w, page)
}

// WriteHTMLSections draws r's sections and notes as WriteHTML's page holds
// them, without the page: a fragment a live page puts in place. Section
// ids are prefix-1, prefix-2, …. With runBase ("/ui"), a cell or a miss
// naming a run links to its page, runBase/runs/RUN_ID.
func WriteHTMLSections(w io.Writer, r *Report, prefix, runBase string) error {
	secs, err := htmlSections(r, prefix, runBase)
	if err != nil {
		return err
	}
	return htmlTmpl.ExecuteTemplate(w, "sections", htmlPage{Sections: secs, Notes: r.Notes})
}

func htmlSections(r *Report, prefix, runBase string) ([]htmlSection, error) {
	var out []htmlSection
	id := func() string { return prefix + "-" + strconv.Itoa(len(out)+1) }
	for _, t := range r.Tables {
		s := htmlSection{ID: id(), Title: t.Title, Header: t.Header(), Footer: t.Footer()}
		var err error
		if s.Charts, err = charts(t); err != nil {
			return nil, err
		}
		lead := len(s.Header) - len(t.Metrics)
		for i := range t.Rows {
			row := htmlRow{Flag: strings.Join(t.Flags[i], "; ")}
			for k, c := range t.Cells(i) {
				cell := htmlCell{S: c, Num: k >= lead}
				if runBase != "" && k < lead && s.Header[k] == "run_id" && c != events.Other && c != None {
					cell.Href = runBase + "/runs/" + url.PathEscape(c)
				}
				row.Cells = append(row.Cells, cell)
			}
			s.Rows = append(s.Rows, row)
		}
		if s.CSV, err = csvURL(&Report{Tables: []*Table{t}}); err != nil {
			return nil, err
		}
		s.CSVName = csvName(r.Name, len(out)+1, t.Title)
		out = append(out, s)
	}
	for _, m := range r.Matrices {
		s := htmlSection{ID: id(), Title: m.title(), Misses: m.Misses, RunBase: runBase}
		g := m.grid()
		s.Header = g[0]
		for _, row := range g[1:] {
			hr := htmlRow{}
			for k, c := range row {
				hr.Cells = append(hr.Cells, htmlCell{S: c, Num: k > 0})
			}
			s.Rows = append(s.Rows, hr)
		}
		chart, err := matrixChart(m)
		if err != nil {
			return nil, err
		}
		s.Charts = []template.HTML{chart}
		if s.CSV, err = csvURL(&Report{Matrices: []*Matrix{m}}); err != nil {
			return nil, err
		}
		s.CSVName = csvName(r.Name, len(out)+1, "policy "+m.PolicyVersion)
		out = append(out, s)
	}
	return out, nil
}

// csvURL is r as WriteCSV writes it, in a data: URL.
func csvURL(r *Report) (template.URL, error) {
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		return "", err
	}
	// Base64 holds only [A-Za-z0-9+/=]: nothing of it can leave the attribute.
	return template.URL("data:text/csv;charset=utf-8;base64," + base64.StdEncoding.EncodeToString(b.Bytes())), nil
}

// csvName is a download's file name: the report, the section's number and
// its title in lower case, letters and digits only.
func csvName(report string, n int, title string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(title) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	if report == "" {
		report = "report"
	}
	return fmt.Sprintf("%s-%d-%s.csv", report, n, strings.TrimSuffix(b.String(), "-"))
}
