// Package ratelimit bounds how many requests each caller makes: a token
// bucket per key, the key being the principal a checked key names
// (internal/auth), or, for a request no key was checked on, its remote
// address. A caller over its rate is answered 429 with Retry-After, and
// other callers are unaffected.
package ratelimit

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/evalhouse/evalhouse/internal/auth"
)

// MaxKeys bounds the buckets kept at once. Past it, buckets that are full
// again (idle callers) are dropped; callers still over it share one
// bucket, so an attacker with many addresses cannot grow memory.
const MaxKeys = 100_000

// Limiter is a set of token buckets, one per key. It is safe for
// concurrent use.
type Limiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu       sync.Mutex
	buckets  map[string]*bucket
	overflow bucket

	// OnLimit, when set, is called for every refused request with its
	// key (for a counter); it must not block.
	OnLimit func(key string)
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a limiter allowing each key rate requests a second, with
// bursts of up to burst (at least 1). now is the clock; nil means
// time.Now.
func New(rate float64, burst int, now func() time.Time) (*Limiter, error) {
	if !(rate > 0) || math.IsInf(rate, 0) {
		return nil, fmt.Errorf("ratelimit: rate %v: must be a positive number of requests a second", rate)
	}
	if burst < 1 {
		return nil, fmt.Errorf("ratelimit: burst %d: must be at least 1", burst)
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}, nil
}

// Allow takes a token from key's bucket. When it is empty, ok is false and
// retry is how long until a token is back.
func (l *Limiter) Allow(key string) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= MaxKeys {
			l.sweep(now)
		}
		if len(l.buckets) >= MaxKeys {
			b = &l.overflow
			if b.last.IsZero() {
				b.tokens, b.last = l.burst, now
			}
		} else {
			b = &bucket{tokens: l.burst, last: now}
			l.buckets[key] = b
		}
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// sweep drops the buckets that have refilled: their callers are idle, and
// a new bucket for them starts full, just as theirs is.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// Key is the bucket r counts against: "key:NAME" for a request whose key
// was checked (auth.FromContext), "addr:HOST" (its remote address without
// the port) otherwise.
func Key(r *http.Request) string {
	if p, ok := auth.FromContext(r.Context()); ok {
		return "key:" + p.Name
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr:" + host
}

// Wrap limits next: a request over its key's rate is answered 429 with
// Retry-After (whole seconds, at least 1) and a plain-text reason naming
// the rate, never reaching next. It must run inside the middleware that
// checks keys, so that the principal is in the request's context.
func (l *Limiter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := Key(r)
		ok, retry := l.Allow(key)
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		if l.OnLimit != nil {
			l.OnLimit(key)
		}
		secs := int(math.Ceil(retry.Seconds()))
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		http.Error(w, fmt.Sprintf("rate limit: at most %g requests a second (bursts of %g) per key; retry after %d s",
			l.rate, l.burst, secs), http.StatusTooManyRequests)
	})
}
