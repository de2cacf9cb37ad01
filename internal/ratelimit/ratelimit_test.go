package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/internal/auth"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Unix(1_000_000, 0)} }
func mustNew(t *testing.T, rate float64, burst int, c *clock) *Limiter {
	t.Helper()
	l, err := New(rate, burst, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// request is a request from addr, carrying the principal named name when
// name is not "" (as the key middleware leaves it).
func request(addr, name string) *http.Request {
	r := httptest.NewRequest("POST", "/v1/events", nil)
	r.RemoteAddr = addr
	if name != "" {
		r = r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Name: name, Role: auth.RoleIngest}))
	}
	return r
}

// A caller over its rate gets 429 with Retry-After; another key from the
// same address, and the same key once its bucket refills, get through.
func TestWrapLimitsEachKey(t *testing.T) {
	c := newClock()
	l := mustNew(t, 2, 3, c)
	var limited []string
	l.OnLimit = func(k string) { limited = append(limited, k) }
	served := 0
	h := l.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served++ }))
	do := func(r *http.Request) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := range 3 {
		if w := do(request("10.0.0.1:5000", "ci")); w.Code != 200 {
			t.Fatalf("request %d within the burst: %d", i, w.Code)
		}
	}
	w := do(request("10.0.0.1:5001", "ci"))
	if w.Code != 429 || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("over the burst: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if got := w.Body.String(); got != "rate limit: at most 2 requests a second (bursts of 3) per key; retry after 1 s\n" {
		t.Errorf("body %q", got)
	}
	// Another key on the same address has its own bucket.
	if w := do(request("10.0.0.1:5002", "batch")); w.Code != 200 {
		t.Fatalf("another key: %d", w.Code)
	}
	// Unauthenticated requests share their address's bucket, apart from keys.
	for i := range 3 {
		if w := do(request("10.0.0.1:"+strconv.Itoa(6000+i), "")); w.Code != 200 {
			t.Fatalf("unauthenticated %d: %d", i, w.Code)
		}
	}
	if w := do(request("10.0.0.1:7000", "")); w.Code != 429 {
		t.Fatalf("unauthenticated over the burst: %d", w.Code)
	}
	if w := do(request("10.0.0.2:7000", "")); w.Code != 200 {
		t.Fatalf("another address: %d", w.Code)
	}
	c.advance(500 * time.Millisecond) // one token back at 2/s
	if w := do(request("10.0.0.1:5000", "ci")); w.Code != 200 {
		t.Fatalf("after refill: %d", w.Code)
	}
	if w := do(request("10.0.0.1:5000", "ci")); w.Code != 429 {
		t.Fatalf("refill gave more than one token: %d", w.Code)
	}
	if served != 3+1+3+1+1 || len(limited) != 3 || limited[0] != "key:ci" || limited[1] != "addr:10.0.0.1" {
		t.Fatalf("served %d, limited %v", served, limited)
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	c := newClock()
	l := mustNew(t, 0.25, 1, c) // one request every 4 s
	h := l.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), request("10.0.0.1:1", "k"))
	c.advance(time.Second)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request("10.0.0.1:1", "k"))
	if w.Code != 429 || w.Header().Get("Retry-After") != "3" {
		t.Fatalf("%d, Retry-After %q, want 429 and 3", w.Code, w.Header().Get("Retry-After"))
	}
}

// An attacker with more addresses than MaxKeys does not grow the map past
// it: idle buckets are swept, and the rest share one bucket.
func TestKeysAreBounded(t *testing.T) {
	c := newClock()
	l := mustNew(t, 1, 1, c)
	for i := range MaxKeys + 10 {
		l.Allow("addr:" + strconv.Itoa(i))
	}
	if len(l.buckets) != MaxKeys {
		t.Fatalf("%d buckets, want %d", len(l.buckets), MaxKeys)
	}
	if ok, _ := l.Allow("addr:new"); ok {
		t.Fatal("the shared overflow bucket still had tokens after 10 callers at burst 1")
	}
	c.advance(2 * time.Second) // every bucket is full again: swept for the next new key
	if ok, _ := l.Allow("addr:newer"); !ok || len(l.buckets) != 1 {
		t.Fatalf("after the sweep: ok %v, %d buckets", ok, len(l.buckets))
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	for _, c := range []struct {
		rate  float64
		burst int
	}{{0, 1}, {-1, 1}, {1, 0}} {
		if _, err := New(c.rate, c.burst, nil); err == nil {
			t.Errorf("New(%v, %d) accepted", c.rate, c.burst)
		}
	}
}
