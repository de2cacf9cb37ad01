package httpbody

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/evalhouse/evalhouse/ingest"
)

// Defaults for Limits' zero values.
const (
	DefaultMaxBody     = 16 << 20
	DefaultMaxInFlight = 64
)

// Limits bound what an endpoint takes in.
type Limits struct {
	// MaxBody is the largest accepted body, after gzip; 0 means 16 MiB.
	MaxBody int64
	// MaxInFlight bounds requests served at once (a slot is taken once
	// the body is read); more get 429. 0 means 64.
	MaxInFlight int
	// MaxInFlightBytes bounds the body bytes held at once by requests
	// being read or served, as buffered after gzip; a body that would
	// pass it gets 429. 0 means 32 MiB.
	MaxInFlightBytes int64
	// Budget, when set, is the in-flight budget this endpoint shares
	// with others (serve gives every ingest endpoint one); it replaces
	// MaxInFlight and MaxInFlightBytes.
	Budget *Budget
}

// Validate reports negative limits, naming the field.
func (l Limits) Validate() error {
	if l.MaxBody < 0 {
		return fmt.Errorf("max_body %d: must not be negative (0 for the default, 16 MiB)", l.MaxBody)
	}
	if l.MaxInFlight < 0 {
		return fmt.Errorf("max_in_flight %d: must not be negative (0 for the default, 64)", l.MaxInFlight)
	}
	if l.MaxInFlightBytes < 0 {
		return fmt.Errorf("max_in_flight_bytes %d: must not be negative (0 for the default, 32 MiB)", l.MaxInFlightBytes)
	}
	return nil
}

// Refuse answers a refused request with status and msg, in the body the
// endpoint speaks; f is the request's format when its content type was
// known (the zero Format otherwise), so a reply can follow its encoding.
type Refuse func(w http.ResponseWriter, status int, f ingest.Format, msg string)

// Admission is one endpoint's gate. It is safe for concurrent use.
type Admission struct {
	formats *ingest.Registry
	maxBody int64
	budget  *Budget
	use     string
	refuse  Refuse
}

// NewAdmission returns the gate of an endpoint that takes the formats of
// formats within l. use is the 405 message ("use POST with an NDJSON
// body"); refuse writes every refusal.
func NewAdmission(formats *ingest.Registry, l Limits, use string, refuse Refuse) *Admission {
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultMaxBody
	}
	b := l.Budget
	if b == nil {
		b = NewBudget(l.MaxInFlight, l.MaxInFlightBytes)
	}
	return &Admission{formats: formats, maxBody: l.MaxBody, budget: b, use: use, refuse: refuse}
}

// Request is an admitted request: its format and its (inflated) body. Its
// slot and its body's bytes are held in the budget until Done.
type Request struct {
	Format ingest.Format
	Body   []byte
	a      *Admission
	held   int64
}

// Done frees the request's slot and bytes; call it once, when the request
// is answered.
func (r *Request) Done() {
	r.a.budget.releaseRequest()
	r.a.budget.releaseBytes(r.held)
}

// Admit checks r, in this order, and answers a refusal itself (returning
// nil):
//
//	405  not a POST (with Allow: POST)
//	415  a content type the endpoint's registry does not hold, or a
//	     Content-Encoding other than gzip or identity
//	413  a body over the limit, compressed or once inflated
//	429  the body's bytes would pass the budget's bytes in flight
//	     (Retry-After: 1)
//	408  the listener's read timeout ended the body
//	400  a body that cannot be read (bad gzip)
//	429  every slot of the budget is taken (Retry-After: 1)
//
// The body is read before a slot is taken, so senders still sending hold
// no slot, only the bytes they have sent.
func (a *Admission) Admit(w http.ResponseWriter, r *http.Request) *Request {
	f, mt, known := a.formats.Lookup(r.Header.Get("Content-Type"))
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		a.refuse(w, http.StatusMethodNotAllowed, f, a.use)
		return nil
	}
	if !known {
		if len(mt) > 64 {
			mt = mt[:64] + "…"
		}
		a.refuse(w, http.StatusUnsupportedMediaType, f, fmt.Sprintf("content type %q: send %s", mt, a.formats.Want()))
		return nil
	}
	body, held, status, err := read(r, a.maxBody, a.budget)
	if err != nil {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		a.refuse(w, status, f, err.Error())
		return nil
	}
	if !a.budget.takeRequest() {
		a.budget.releaseBytes(held)
		w.Header().Set("Retry-After", "1")
		a.refuse(w, http.StatusTooManyRequests, f, "too many requests in flight; retry")
		return nil
	}
	return &Request{Format: f, Body: body, a: a, held: held}
}

// StoreFailed answers 503 with Retry-After: the store could not take the
// request's events (a retryable error), so nothing of it is acknowledged.
func (a *Admission) StoreFailed(w http.ResponseWriter, f ingest.Format, err error) {
	w.Header().Set("Retry-After", "5")
	a.refuse(w, http.StatusServiceUnavailable, f, "store unavailable; nothing from this request is acknowledged, retry: "+err.Error())
}

// WriteJSON answers status with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
