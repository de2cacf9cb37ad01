package ui

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/evalhouse/evalhouse/reports"
)

// The URL parameters of a report page: `evalhouse report NAME`'s flags
// by the same names (reports.Params), so a page and the command given the
// same filters show the same numbers. since defaults to 30d, as the flag
// does.
var params = []string{"since", "until", "tz", "bucket", "tenant", "environment", "release", "model", "tool", "by", "attr", "top", "min-calls", "exact", "raw", "against", "format"}

// multi are the parameters that may repeat; release and by also take a
// comma list (a form's one field).
var multi = map[string]bool{"release": true, "by": true, "attr": true}

// DefaultSince is the window's start when the URL gives none.
const DefaultSince = "30d"

// parseParams reads a report page's query. An unknown or repeated
// parameter is an error naming it: a page never ignores a filter it was
// given.
func parseParams(q url.Values) (reports.Params, string, error) {
	var p reports.Params
	for k, vs := range q {
		if !slices.Contains(params, k) {
			return p, "", fmt.Errorf("parameter %q: unknown (want one of %s)", k, strings.Join(params, ", "))
		}
		if len(vs) > 1 && !multi[k] {
			return p, "", fmt.Errorf("parameter %q: given %d times, once at most", k, len(vs))
		}
	}
	one := func(k string) string { return q.Get(k) }
	p.Since, p.Until, p.TZ, p.Bucket = one("since"), one("until"), one("tz"), one("bucket")
	if p.Since == "" {
		p.Since = DefaultSince
	}
	p.Tenant, p.Environment, p.Model, p.Tool = one("tenant"), one("environment"), one("model"), one("tool")
	p.Against = one("against")
	p.Releases, p.By = list(q["release"]), list(q["by"])
	for _, a := range q["attr"] {
		if a != "" {
			p.Attrs = append(p.Attrs, a)
		}
	}
	for _, n := range []struct {
		k string
		v *int
	}{{"top", &p.Top}, {"min-calls", &p.MinCalls}} {
		if s := one(n.k); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 {
				return p, "", fmt.Errorf("parameter %s %q: want a whole number, 0 or more", n.k, s)
			}
			*n.v = v
		}
	}
	for _, b := range []struct {
		k string
		v *bool
	}{{"exact", &p.Exact}, {"raw", &p.Raw}} {
		if s := one(b.k); s != "" {
			v, err := strconv.ParseBool(s)
			if err != nil {
				return p, "", fmt.Errorf("parameter %s %q: want true or false", b.k, s)
			}
			*b.v = v
		}
	}
	return p, one("format"), nil
}

// list is the values of a repeatable parameter, each split at commas,
// empty ones (a form's blank field) dropped.
func list(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, d := range strings.Split(v, ",") {
			if d = strings.TrimSpace(d); d != "" {
				out = append(out, d)
			}
		}
	}
	return out
}
