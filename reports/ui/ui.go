// Package ui is serve's live report pages under /ui: the reports of
// package reports rendered on the server (html/template, no external
// asset), their filters in the URL so a page can be shared, each table
// loaded by a request of its own so one slow query never holds up the
// rest, and the numbers of `evalhouse report NAME --format json` at
// NAME.json.
//
// The handler trusts the principal in the request's context (internal/auth,
// put there by keys.Guard): a key confined to a tenant reads that tenant
// only, whatever the URL asks.
package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/reports"
)

// Config configures the pages.
type Config struct {
	// Budget bounds each table's query (reports.Budget).
	Budget reports.Budget
	// Log receives a line per failed report; nil discards.
	Log *slog.Logger
	// Now is the time relative windows (since=7d) end at; nil is time.Now.
	Now func() time.Time
}

// Handler serves:
//
//	GET /ui                          the reports, linked with the URL's filters
//	GET /ui/report/NAME?FILTERS      a report's page: a section per table, each loaded on its own
//	GET /ui/report/NAME/part/N       part N of the report as an HTML fragment (reports.BuildPart)
//	GET /ui/report/NAME.json         the report as `evalhouse report NAME --format json` writes it
//	GET /ui/report/NAME?format=F     the report in format F (json, csv, markdown, table, html)
//	GET /ui/runs?FILTERS             the runs, as `evalhouse runs` lists them (runs.go)
//	GET /ui/runs/ID                  one run, as `evalhouse run show ID` rebuilds it
//
// FILTERS are the flags of `evalhouse report` by name: since, until, tz,
// bucket, tenant, environment, release, model, tool, by, attr, top,
// min-calls, exact. Answers are never cached and carry a Content-Security-
// Policy that allows only the page's own inline style and script.
type Handler struct {
	conn driver.Conn
	cfg  Config
	mux  *http.ServeMux
}

// New returns the pages over conn.
func New(conn driver.Conn, cfg Config) *Handler {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{conn: conn, cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /ui", h.index)
	h.mux.HandleFunc("GET /ui/{$}", h.index)
	h.mux.HandleFunc("GET /ui/report/{name}", h.report)
	h.mux.HandleFunc("GET /ui/report/{name}/part/{n}", h.part)
	h.mux.HandleFunc("GET /ui/runs", h.runList)
	h.mux.HandleFunc("GET /ui/runs/{id}", h.runShow)
	return h
}

var _ http.Handler = (*Handler)(nil)

// ServeHTTP answers /ui and everything under it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	if p, ok := auth.FromContext(r.Context()); ok && !p.Can(auth.RoleRead) {
		httpError(w, http.StatusForbidden, fmt.Sprintf("key %s (role %s) may not read reports: it needs role read", p.Name, p.Role))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// options reads the request's filters, with the tenant the key is
// confined to forced (another tenant asked for is refused).
func (h *Handler) options(r *http.Request) (reports.Options, reports.Params, string, int, error) {
	p, format, err := parseParams(r.URL.Query())
	if err != nil {
		return reports.Options{}, p, "", http.StatusBadRequest, err
	}
	if pr, ok := auth.FromContext(r.Context()); ok && pr.Tenant != "" {
		if p.Tenant != "" && p.Tenant != pr.Tenant {
			return reports.Options{}, p, "", http.StatusForbidden, fmt.Errorf("key %s reads tenant %s only: tenant=%q is not its", pr.Name, pr.Tenant, p.Tenant)
		}
		p.Tenant = pr.Tenant
	}
	p.Budget = h.cfg.Budget
	o, err := p.Options(h.cfg.Now().UTC())
	if err != nil {
		return o, p, "", http.StatusBadRequest, err
	}
	return o, p, format, 0, nil
}

// pinned is the request's query with the window made absolute, so every
// part of one page reads the same window.
func pinned(q url.Values, o reports.Options) url.Values {
	c := url.Values{}
	for k, v := range q {
		if k != "format" {
			c[k] = v
		}
	}
	c.Set("since", o.Window.Since.Format(time.RFC3339Nano))
	c.Set("until", o.Window.Until.Format(time.RFC3339Nano))
	return c
}

// indexQuery is a page's own filters, as given (relative windows stay
// relative), for the link back to the index.
func indexQuery(q url.Values) string {
	q.Del("format")
	return q.Encode()
}

func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Name, Title, Doc string
		Href             template.URL
	}
	var list []entry
	q := r.URL.Query()
	q.Del("format")
	for _, n := range reports.Names() {
		title, doc := reports.Doc(n)
		href := "/ui/report/" + url.PathEscape(n)
		if len(q) > 0 {
			href += "?" + q.Encode() // url.Values encodes every byte that could leave the attribute
		}
		list = append(list, entry{n, title, doc, template.URL(href)})
	}
	h.page(w, "index", map[string]any{"Title": "Reports", "Reports": list})
}

func (h *Handler) report(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	o, p, format, status, err := h.options(r)
	if err != nil {
		httpError(w, status, err.Error())
		return
	}
	if n, ok := strings.CutSuffix(name, ".json"); ok {
		name, format = n, "json"
	}
	parts, err := reports.Parts(name)
	if err != nil {
		httpError(w, http.StatusNotFound, err.Error())
		return
	}
	if format != "" {
		h.whole(w, r, name, format, o)
		return
	}
	type part struct {
		ID, Title string
		Src       template.URL
	}
	pq := pinned(r.URL.Query(), o).Encode()
	var ps []part
	for i, t := range parts {
		src := fmt.Sprintf("/ui/report/%s/part/%d?%s", url.PathEscape(name), i, pq)
		ps = append(ps, part{"p" + strconv.Itoa(i), t, template.URL(src)})
	}
	title, _ := reports.Doc(name)
	exports := map[string]template.URL{}
	for _, f := range []string{"json", "csv", "markdown", "html"} {
		exports[f] = template.URL("/ui/report/" + url.PathEscape(name) + "?" + pq + "&format=" + f)
	}
	h.page(w, "report", map[string]any{
		"Title": title, "Name": name, "Heading": heading(title, o.Window), "Parts": ps, "Notes": reports.Notes(name),
		"P": p, "By": strings.Join(p.By, ","), "Exports": exports, "Index": template.URL("/ui?" + indexQuery(r.URL.Query())),
	})
}

// whole writes the whole report in format.
func (h *Handler) whole(w http.ResponseWriter, r *http.Request, name, format string, o reports.Options) {
	types := map[string]string{"json": "application/json", "csv": "text/csv; charset=utf-8", "markdown": "text/markdown; charset=utf-8",
		"md": "text/markdown; charset=utf-8", "table": "text/plain; charset=utf-8", "html": "text/html; charset=utf-8"}
	ct, ok := types[format]
	if !ok {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("parameter format %q: want one of json, csv, markdown, table, html", format))
		return
	}
	rep, err := reports.Build(r.Context(), h.conn, name, o)
	if err != nil {
		h.failed(w, r, name, err)
		return
	}
	var b bytes.Buffer
	if err := reports.Write(&b, rep, format); err != nil {
		h.failed(w, r, name, err)
		return
	}
	if format == "html" {
		// The self-contained report runs no script and fetches nothing.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src '"+styleHash+"'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	}
	w.Header().Set("Content-Type", ct)
	w.Write(b.Bytes())
}

func (h *Handler) part(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 {
		httpError(w, http.StatusNotFound, fmt.Sprintf("part %q: want a number, 0 or more", r.PathValue("n")))
		return
	}
	parts, err := reports.Parts(name)
	if err != nil || n >= len(parts) {
		httpError(w, http.StatusNotFound, fmt.Sprintf("report %q has no part %d", name, n))
		return
	}
	o, _, _, status, err := h.options(r)
	if err != nil {
		httpError(w, status, err.Error())
		return
	}
	rep, err := reports.BuildPart(r.Context(), h.conn, name, n, o)
	if err != nil {
		h.failed(w, r, name, err)
		return
	}
	rep.Notes = nil // the page shows them once
	var b bytes.Buffer
	if err := reports.WriteHTMLSections(&b, rep, "p"+strconv.Itoa(n), "/ui"); err != nil {
		h.failed(w, r, name, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}

// failed answers a report that could not be built: 400 when its
// parameters do not make one (the diff's two releases), 504 when its
// budget ran out, 500 otherwise.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, name string, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, reports.ErrDiffRelease), errors.Is(err, reports.ErrDiffAgainst):
		httpError(w, http.StatusBadRequest, strings.NewReplacer("(--release)", "(release=)", "(--against)", "(against=)").Replace(err.Error()))
		return
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "TIMEOUT_EXCEEDED"):
		status = http.StatusGatewayTimeout
	}
	if r.Context().Err() != nil {
		return // the client went away
	}
	h.cfg.Log.Error("report failed", "report", name, "path", r.URL.Path, "err", err)
	httpError(w, status, err.Error())
}

func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

func heading(title string, win reports.Window) string {
	s := fmt.Sprintf("%s, %s to %s", title, win.Since.UTC().Format(time.RFC3339), win.Until.UTC().Format(time.RFC3339))
	if win.TZ != "" {
		s += " (days in " + win.TZ + ")"
	}
	return s
}

// hash is a CSP source for an inline element's text.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

var styleHash, scriptHash = hash(reports.HTMLStyle), hash(loader)

// csp allows a page its own inline style and loader, and requests back
// to serve only.
var csp = "default-src 'none'; style-src '" + styleHash + "'; script-src '" + scriptHash + "'; connect-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func (h *Handler) page(w http.ResponseWriter, name string, data map[string]any) {
	data["CSS"] = template.CSS(reports.HTMLStyle)
	data["Loader"] = template.JS(loader)
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		h.cfg.Log.Error("ui page", "page", name, "err", err)
		httpError(w, http.StatusInternalServerError, "ui: page "+name+": "+err.Error())
		return
	}
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}
