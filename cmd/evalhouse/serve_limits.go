package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/pflag"

	"github.com/evalhouse/evalhouse/internal/chhttp"
	"github.com/evalhouse/evalhouse/internal/httpbody"
	"github.com/evalhouse/evalhouse/internal/metrics"
	"github.com/evalhouse/evalhouse/internal/ratelimit"
)

// serveLimits are serve's flags for what its listeners take in
// (docs/security.md, "Limits").
type serveLimits struct {
	timeouts         httpbody.Timeouts
	maxInFlight      int
	maxInFlightBytes int64
	rate             float64
	burst            int
	queryTimeout     time.Duration
}

func (l *serveLimits) register(fs *pflag.FlagSet) {
	fs.DurationVar(&l.timeouts.ReadHeader, "read-header-timeout", httpbody.DefaultReadHeaderTimeout, "longest a connection may take to send a request's headers, on every listener")
	fs.DurationVar(&l.timeouts.Read, "read-timeout", httpbody.DefaultReadTimeout, "longest a connection may take to send a whole request, body included, on every listener (answering is not bounded by it)")
	fs.DurationVar(&l.timeouts.Idle, "idle-timeout", httpbody.DefaultIdleTimeout, "longest a kept-alive connection may wait for its next request")
	fs.IntVar(&l.maxInFlight, "max-in-flight", httpbody.DefaultMaxInFlight, "most ingest requests (/v1/events, /v1/traces) served at once, their bodies read; more get 429")
	fs.Int64Var(&l.maxInFlightBytes, "max-in-flight-bytes", httpbody.DefaultMaxInFlightBytes, "most ingest body bytes (inflated) held at once by requests being read or served; more get 429")
	fs.Float64Var(&l.rate, "rate-limit", 100, "requests a second each key may make (without a key: each remote address), on every listener but /healthz, /readyz and /metrics; over it, 429 with Retry-After; 0 turns it off")
	fs.IntVar(&l.burst, "rate-burst", 200, "requests a key may make at once above --rate-limit")
	fs.DurationVar(&l.queryTimeout, "query-timeout", chhttp.DefaultMaxExecutionTime, "default time limit of a statement sent to the ClickHouse interface (--clickhouse-listen; its max_execution_time); the query is cancelled when it passes, or when its client goes away")
}

// watch is what serve counts and bounds with: its metrics, the in-flight
// budget its ingest endpoints share, and the per-key rate limiter (nil
// when --rate-limit is 0).
type watch struct {
	m       *metrics.Metrics
	budget  *httpbody.Budget
	limiter *ratelimit.Limiter
}

// build checks the flags and builds serve's watch.
func (l *serveLimits) build() (*watch, error) {
	if err := l.timeouts.Validate(); err != nil {
		return nil, &exitError{exitUsage, err}
	}
	if l.maxInFlight < 1 || l.maxInFlightBytes < 1 {
		return nil, &exitError{exitUsage, fmt.Errorf("--max-in-flight %d, --max-in-flight-bytes %d: both must be at least 1", l.maxInFlight, l.maxInFlightBytes)}
	}
	wt := &watch{m: metrics.New(), budget: httpbody.NewBudget(l.maxInFlight, l.maxInFlightBytes)}
	wt.m.WatchInFlight(wt.budget)
	if l.rate < 0 {
		return nil, &exitError{exitUsage, fmt.Errorf("--rate-limit %v: must not be negative (0 turns it off)", l.rate)}
	}
	if l.rate > 0 {
		lim, err := ratelimit.New(l.rate, l.burst, nil)
		if err != nil {
			return nil, &exitError{exitUsage, fmt.Errorf("--rate-limit, --rate-burst: %w", err)}
		}
		lim.OnLimit = wt.m.RateLimited
		wt.limiter = lim
	}
	return wt, nil
}

// unlimited are the paths the rate limit spares: probes and scrapes,
// which come from one address at a steady pace.
var unlimited = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// wrap limits each key's rate on h, but for the unlimited paths, and
// instruments it: each of paths under its own handler label, every other
// path under name (429s of the limit included). It goes inside the
// key-checking middleware, which puts the principal in the request's
// context.
func (wt *watch) wrap(name string, h http.Handler, paths ...string) http.Handler {
	if wt.limiter != nil {
		inner, limited := h, wt.limiter.Wrap(h)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if unlimited[r.URL.Path] {
				inner.ServeHTTP(w, r)
				return
			}
			limited.ServeHTTP(w, r)
		})
	}
	byPath := map[string]http.Handler{}
	for _, p := range paths {
		byPath[p] = wt.m.Instrument(p, h)
	}
	other := wt.m.Instrument(name, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ih, ok := byPath[r.URL.Path]; ok {
			ih.ServeHTTP(w, r)
			return
		}
		other.ServeHTTP(w, r)
	})
}

// server is an http.Server for h within the listener timeouts.
func (l *serveLimits) server(h http.Handler) *http.Server { return l.timeouts.Server(h) }
