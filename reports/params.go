package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/evalhouse/evalhouse/events"
)

// Params are a report's window and filters as a reader spells them: the
// flags of `evalhouse report NAME` and the query parameters of serve's
// /ui pages, so the same spelling gives the same Options and the same
// numbers in both.
type Params struct {
	// Since and Until are RFC 3339 times or durations before now ("7d",
	// "24h", "90m"); Until "" is now.
	Since, Until string
	// TZ is the zone days, weeks and months start in ("" is UTC).
	TZ string
	// Bucket replaces the trend tables' time axis ("" keeps theirs).
	Bucket                           string
	Tenant, Environment, Model, Tool string
	Releases                         []string
	// By regroups the tables (dimension names or attr.KEY).
	By []string
	// Attrs are KEY=VALUE attribute filters.
	Attrs    []string
	Top      int
	MinCalls int
	Exact    bool
	Raw      bool
	// Against is the release the diff report compares Releases' one with.
	Against string
	Budget  Budget
	// Prefix is put before a parameter's name in errors: "--" for flags,
	// "" for URL parameters.
	Prefix string
}

// Options checks p and turns it into a report's Options, relative to now.
// Errors name the parameter (with Prefix) and quote the value.
func (p Params) Options(now time.Time) (Options, error) {
	var o Options
	since, err := ParseWhen(p.Prefix+"since", p.Since, now)
	if err != nil {
		return o, err
	}
	until := now
	if p.Until != "" {
		if until, err = ParseWhen(p.Prefix+"until", p.Until, now); err != nil {
			return o, err
		}
	}
	if since.IsZero() || !since.Before(until) {
		return o, fmt.Errorf("%ssince %q, %suntil %q: the window is empty", p.Prefix, p.Since, p.Prefix, p.Until)
	}
	if p.TZ != "" {
		if _, err := time.LoadLocation(p.TZ); err != nil {
			return o, fmt.Errorf("%stz %q: %v", p.Prefix, p.TZ, err)
		}
	}
	if p.Bucket != "" {
		if _, _, err := resolve(p.Bucket, since, until); err != nil {
			return o, fmt.Errorf("%sbucket: %w", p.Prefix, err)
		}
	}
	attrs := map[string]string{}
	for _, kv := range p.Attrs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return o, fmt.Errorf("%sattr %q: want KEY=VALUE", p.Prefix, kv)
		}
		attrs[k] = v
	}
	if len(attrs) == 0 {
		attrs = nil
	}
	for _, d := range p.By {
		if err := (events.AggQuery{Metrics: []string{"events"}, By: []string{d}}).Validate(); err != nil {
			return o, fmt.Errorf("%sby: %w", p.Prefix, err)
		}
	}
	if p.Top < 0 || p.MinCalls < 0 {
		return o, fmt.Errorf("%stop %d, %smin-calls %d: neither may be negative", p.Prefix, p.Top, p.Prefix, p.MinCalls)
	}
	o = Options{
		Window: Window{Since: since, Until: until, TZ: p.TZ},
		Filter: Filter{Tenant: p.Tenant, Environment: p.Environment, Releases: p.Releases, Model: p.Model, Tool: p.Tool, Attrs: attrs},
		By:     p.By, Bucket: p.Bucket, Top: p.Top, Exact: p.Exact, Raw: p.Raw, MinCalls: p.MinCalls, Budget: p.Budget, Against: p.Against,
	}
	return o, nil
}

// ParseWhen reads a since/until value: "" (the zero time: unbounded), an
// RFC 3339 time, or a duration before now (90m, 24h, 7d). name is the
// flag or parameter, for the error.
func ParseWhen(name, v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	} else if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time (2026-11-20T09:00:00Z) or a duration before now (90m, 24h, 7d)", name, v)
}
