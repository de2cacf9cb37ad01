package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/reports"
	"github.com/evalhouse/evalhouse/reports/runs"
)

// The responders' pages: GET /ui/runs?FILTERS lists runs as `evalhouse
// runs` does (status, release, environment, tenant, since, until,
// failed-rule, policy, limit; format=json for its JSON), each linking to
// GET /ui/runs/ID, the run as `evalhouse run show ID` rebuilds it. A key
// confined to a tenant sees that tenant's runs only.

var runParams = []string{"status", "release", "environment", "tenant", "since", "until", "failed-rule", "policy", "limit", "format"}

// runsCSP allows the run pages their stylesheet and nothing else.
var runsCSP = "default-src 'none'; style-src '" + hash(runs.Style) + "'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

// scopedTenant is the tenant the request may read: the key's, when it is
// confined to one (asking for another is refused), else the one asked.
func scopedTenant(r *http.Request, asked string) (string, error) {
	if pr, ok := auth.FromContext(r.Context()); ok && pr.Tenant != "" {
		if asked != "" && asked != pr.Tenant {
			return "", fmt.Errorf("key %s reads tenant %s only: tenant=%q is not its", pr.Name, pr.Tenant, asked)
		}
		return pr.Tenant, nil
	}
	return asked, nil
}

func (h *Handler) runList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k, vs := range q {
		if !slices.Contains(runParams, k) {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("parameter %q: unknown (want one of %s)", k, strings.Join(runParams, ", ")))
			return
		}
		if len(vs) > 1 {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("parameter %q: given %d times, once at most", k, len(vs)))
			return
		}
	}
	tenant, err := scopedTenant(r, q.Get("tenant"))
	if err != nil {
		httpError(w, http.StatusForbidden, err.Error())
		return
	}
	f := runs.Filter{FailedRule: q.Get("failed-rule")}
	f.Tenant, f.Environment, f.Release, f.Status, f.Policy = tenant, q.Get("environment"), q.Get("release"), q.Get("status"), q.Get("policy")
	now := h.cfg.Now().UTC()
	for _, t := range []struct {
		k string
		v *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if s := q.Get(t.k); s != "" {
			if *t.v, err = reports.ParseWhen(t.k, s, now); err != nil {
				httpError(w, http.StatusBadRequest, "parameter "+err.Error())
				return
			}
		}
	}
	f.Limit = 50
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit < 0 {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("parameter limit %q: want a whole number, 0 (all) or more", s))
			return
		}
	}
	l, err := runs.BuildList(r.Context(), h.conn, f)
	if err != nil {
		h.failed(w, r, "runs", err)
		return
	}
	h.runPage(w, q.Get("format"), l, l.WriteHTML)
}

func (h *Handler) runShow(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "tenant" && k != "format" {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("parameter %q: unknown (want tenant or format)", k))
			return
		}
	}
	tenant, err := scopedTenant(r, q.Get("tenant"))
	if err != nil {
		httpError(w, http.StatusForbidden, err.Error())
		return
	}
	id := r.PathValue("id")
	t, err := runs.BuildTree(r.Context(), h.conn, id, tenant)
	switch {
	case errors.Is(err, runs.ErrNotFound):
		httpError(w, http.StatusNotFound, fmt.Sprintf("no run or trace %q", id))
		return
	case errors.Is(err, runs.ErrAmbiguous):
		httpError(w, http.StatusConflict, err.Error()+" (add tenant=)")
		return
	case err != nil:
		h.failed(w, r, "run", err)
		return
	}
	h.runPage(w, q.Get("format"), t, t.WriteHTML)
}

// runPage writes v as JSON (format=json) or as its page.
func (h *Handler) runPage(w http.ResponseWriter, format string, v any, page func(w io.Writer, base string) error) {
	switch format {
	case "json":
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(v)
		return
	case "", "html":
	default:
		httpError(w, http.StatusBadRequest, fmt.Sprintf("parameter format %q: want html or json", format))
		return
	}
	var b bytes.Buffer
	if err := page(&b, "/ui"); err != nil {
		httpError(w, http.StatusInternalServerError, "ui: run page: "+err.Error())
		return
	}
	w.Header().Set("Content-Security-Policy", runsCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}
