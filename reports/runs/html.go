package runs

import (
	"html/template"
	"io"
	"net/url"
	"strings"
)

// The run pages (/ui/runs, /ui/runs/ID): the same List and Tree the
// terminal prints, each event's line the text form's (describe), every
// value escaped by html/template. base is where the pages are mounted
// ("/ui"): a run's link is base/runs/RUN_ID.

// Style is the run pages' one inline stylesheet (a page's CSP allows it
// by its hash).
const Style = `body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1d1d1f}table{border-collapse:collapse}
td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}th{background:#f4f4f6}
.err{color:#b00020;font-weight:600}ul.tree{list-style:none;padding-left:1.1rem;border-left:1px solid #ccc}
code,pre{font:12px ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}.k{color:#555}`

var pages = template.Must(template.New("runs").Funcs(template.FuncMap{
	"ms":        ms,
	"usd":       usd,
	"num":       num,
	"dash":      orDash,
	"decisions": decisions,
	"counts":    counts,
	"describe":  describe,
	"join":      strings.Join,
	"when":      func(r Run) string { return r.Started.UTC().Format(timeLayout) },
	"runURL":    func(base, id string) string { return base + "/runs/" + url.PathEscape(id) },
	"style":     func() template.CSS { return template.CSS(Style) },
}).Parse(`{{define "head"}}<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{.}}</title>
<style>{{style}}</style></head><body>{{end}}
{{define "list"}}{{template "head" "Runs"}}<h1>Runs</h1>
<table id="runs"><thead><tr><th>started</th><th>run</th><th>tenant</th><th>env</th><th>release</th><th>case</th><th>status</th><th>stop</th>
<th>duration</th><th>events</th><th>cost</th><th>tokens in/out</th><th>policy</th><th>failing rules</th></tr></thead><tbody>
{{range .List.Runs}}<tr data-run="{{.RunID}}"><td>{{when .}}</td><td><a href="{{runURL $.Base .RunID}}">{{.RunID}}</a></td><td>{{.Tenant}}</td>
<td>{{.Environment}}</td><td>{{.Release}}</td><td>{{dash .CaseID}}</td><td{{if eq .Status "error"}} class="err"{{end}}>{{.Status}}</td>
<td>{{dash .StopReason}}</td><td>{{ms .DurationMS}}</td><td>{{.Events}}</td><td>{{usd .CostUSD}}</td><td>{{.InputTokens}}/{{.OutputTokens}}</td>
<td>{{dash (decisions .Policy)}}</td><td>{{dash (join .FailingRules ", ")}}</td></tr>
{{end}}</tbody></table>
<p>{{len .List.Runs}} run(s){{if .List.More}} (the newest {{.List.Limit}}: more match){{end}}</p></body></html>
{{end}}
{{define "event"}}<li data-kind="{{.Kind}}"><span class="k">+{{ms .OffsetMS}}</span> {{describe .}}{{if gt .DurationMS 0.0}} ({{ms .DurationMS}}){{end}}
{{- if eq .Status "error"}} <span class="err">STATUS ERROR</span>{{end}}
{{- if .ContractViolations}} <span class="err">GAP: {{join .ContractViolations ", "}}</span>{{end}}
{{- if .Redactions}} <span class="k">redacted: {{counts .Redactions}}</span>{{end}}
{{- if .Children}}<ul class="tree">{{range .Children}}{{template "event" .}}{{end}}</ul>{{end}}</li>
{{end}}
{{define "tree"}}{{with .Tree.Run}}{{template "head" (print "Run " .RunID)}}<p><a href="{{$.Base}}/runs">all runs</a></p>
<h1>Run {{.RunID}}</h1>
<table id="run"><tr><th>trace</th><td>{{.TraceID}}</td><th>tenant</th><td>{{.Tenant}}</td><th>environment</th><td>{{.Environment}}</td><th>release</th><td>{{.Release}}</td></tr>
<tr><th>dataset</th><td>{{dash .Dataset}}</td><th>case</th><td>{{dash .CaseID}}</td><th>status</th><td>{{dash .Status}} ({{dash .StopReason}})</td><th>duration</th><td>{{ms .DurationMS}}</td></tr>
<tr><th>events</th><td>{{.Events}}</td><th>model calls</th><td>{{.ModelCalls}}</td><th>tool calls</th><td>{{.ToolCalls}}</td><th>errors</th><td>{{.ErrorEvents}}</td></tr>
<tr><th>tokens</th><td>{{.InputTokens}} in / {{.OutputTokens}} out</td><th>cost</th><td>{{usd .CostUSD}}</td><th>policy</th><td>{{dash (decisions .Policy)}}</td>
<th>failing rules</th><td>{{dash (join .FailingRules ", ")}}</td></tr></table>
<p>To open an incident on it: <code>evalhouse incident open --run {{.RunID}} --title …</code></p>{{end}}
<h2>Events</h2><ul class="tree" id="events">{{range .Tree.Events}}{{template "event" .}}{{end}}</ul>
<h2>Eval results</h2>{{if not .Tree.EvalResults}}<p>none stored</p>{{end}}<ul>{{range .Tree.EvalResults}}
<li>{{if .Passed}}pass{{else}}<span class="err">FAIL</span>{{end}} {{.RuleID}} {{.RuleVersion}} score {{num .Score}} {{.Reason}}{{if .Error}} error: {{.Error}}{{end}}</li>{{end}}</ul>
<h2>Contract gaps</h2>{{if not .Tree.ContractGaps}}<p>none</p>{{end}}<ul>{{range .Tree.ContractGaps}}
<li>{{.Kind}} {{dash .Name}} (span {{.SpanID}}): {{.Field}} missing or invalid</li>{{end}}</ul></body></html>
{{end}}`))

// WriteHTML renders the list as a page whose run ids link to base/runs/ID.
func (l *List) WriteHTML(w io.Writer, base string) error {
	return pages.ExecuteTemplate(w, "list", struct {
		List *List
		Base string
	}{l, base})
}

// WriteHTML renders the run as a page: its figures, its events as a
// nested tree in time order, its eval results and contract gaps.
func (t *Tree) WriteHTML(w io.Writer, base string) error {
	return pages.ExecuteTemplate(w, "tree", struct {
		Tree *Tree
		Base string
	}{t, base})
}
