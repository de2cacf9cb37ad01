package ui

import "html/template"

// loader fetches each section's part (data-src) on its own and puts it in
// place; a part that fails says so in its section and leaves the others
// be. Without script, each section links to its part.
const loader = `document.querySelectorAll("section[data-src]").forEach(function (s) {
  fetch(s.dataset.src, {credentials: "same-origin"}).then(function (r) {
    return r.text().then(function (t) { if (!r.ok) { throw new Error(r.status + ": " + t); } return t; });
  }).then(function (t) { s.outerHTML = t; }).catch(function (e) {
    var p = s.querySelector(".loading"); p.className = "error"; p.textContent = "could not load this table: " + e.message;
    s.removeAttribute("data-src"); s.setAttribute("data-failed", "");
  });
});`

var pages = template.Must(template.New("pages").Parse(`
{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · evalhouse</title>
<style>{{.CSS}}</style>
</head>
<body>
{{end}}
{{define "index"}}{{template "head" .}}<header><h1>Reports</h1></header>
<main><ul class="reports">
{{range .Reports}}<li><a href="{{.Href}}">{{.Title}}</a> ({{.Name}}): {{.Doc}}</li>
{{end}}</ul></main>
</body>
</html>
{{end}}
{{define "report"}}{{template "head" .}}<header><p><a href="{{.Index}}">reports</a></p><h1>{{.Title}}</h1><p class="window">{{.Heading}}</p></header>
<form class="filters" method="get" action="">
<label>since <input name="since" value="{{.P.Since}}" size="22"></label>
<label>until <input name="until" value="{{.P.Until}}" size="22" placeholder="now"></label>
<label>tenant <input name="tenant" value="{{.P.Tenant}}" size="10"></label>
<label>environment <input name="environment" value="{{.P.Environment}}" size="10"></label>
<label>release <input name="release" value="{{range $i, $r := .P.Releases}}{{if $i}},{{end}}{{$r}}{{end}}" size="8"></label>
<label>model <input name="model" value="{{.P.Model}}" size="12"></label>
<label>tool <input name="tool" value="{{.P.Tool}}" size="12"></label>
<label>by <input name="by" value="{{.By}}" size="14" placeholder="model,release"></label>
<label>bucket <input name="bucket" value="{{.P.Bucket}}" size="6" placeholder="auto, day…"></label>
<label>top <input name="top" value="{{if .P.Top}}{{.P.Top}}{{end}}" size="3"></label>
<label>tz <input name="tz" value="{{.P.TZ}}" size="12" placeholder="UTC"></label>
<button type="submit">apply</button>
</form>
<p class="downloads">this report as <a href="{{.Exports.json}}">JSON</a>, <a href="{{.Exports.csv}}">CSV</a>, <a href="{{.Exports.markdown}}">Markdown</a>, <a href="{{.Exports.html}}">one HTML file</a></p>
<main>
{{range .Parts}}<section id="{{.ID}}" class="part" data-src="{{.Src}}"><h2>{{.Title}}</h2><p class="loading">loading…</p><noscript><p><a href="{{.Src}}">open this table</a></p></noscript></section>
{{end}}{{range .Notes}}<p class="note">note: {{.}}</p>
{{end}}</main>
<script>{{.Loader}}</script>
</body>
</html>
{{end}}`))
