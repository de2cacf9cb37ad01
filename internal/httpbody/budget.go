package httpbody

import "sync"

// DefaultMaxInFlightBytes is Limits.MaxInFlightBytes' zero value: two
// bodies of the default size. The pipeline holds about ten times a body's
// bytes while it decodes, redacts and stores it (8 parallel 15 MiB posts
// peaked at 876 MiB of heap unbounded, 421 MiB within this default; see
// TestServeLargePostsBounded), so this bounds the heap ingest requests
// take to a few hundred MiB whatever their number.
const DefaultMaxInFlightBytes = 2 * DefaultMaxBody

// Budget bounds what requests hold at once: requests being served (a slot,
// taken once the body is read) and body bytes (taken as they arrive, so a
// sender that trickles holds only about what it has sent). Endpoints that share
// one Budget share its bounds; serve gives every ingest endpoint the same.
// It is safe for concurrent use.
type Budget struct {
	maxRequests int
	maxBytes    int64

	mu       sync.Mutex
	requests int
	bytes    int64
}

// NewBudget returns a budget of maxRequests requests in flight and
// maxBytes body bytes; values ≤ 0 mean DefaultMaxInFlight and
// DefaultMaxInFlightBytes.
func NewBudget(maxRequests int, maxBytes int64) *Budget {
	if maxRequests <= 0 {
		maxRequests = DefaultMaxInFlight
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxInFlightBytes
	}
	return &Budget{maxRequests: maxRequests, maxBytes: maxBytes}
}

// InFlight reports the requests being served and the body bytes held now.
func (b *Budget) InFlight() (requests int, bytes int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests, b.bytes
}

// Max reports the budget's bounds.
func (b *Budget) Max() (requests int, bytes int64) { return b.maxRequests, b.maxBytes }

// takeBytes reserves n bytes; false (nothing reserved) when that would
// pass the bound.
func (b *Budget) takeBytes(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bytes+n > b.maxBytes {
		return false
	}
	b.bytes += n
	return true
}

func (b *Budget) releaseBytes(n int64) {
	b.mu.Lock()
	b.bytes -= n
	b.mu.Unlock()
}

// takeRequest reserves a slot; false when every slot is taken.
func (b *Budget) takeRequest() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.requests >= b.maxRequests {
		return false
	}
	b.requests++
	return true
}

func (b *Budget) releaseRequest() {
	b.mu.Lock()
	b.requests--
	b.mu.Unlock()
}
