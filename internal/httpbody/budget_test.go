package httpbody

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

func postBody(a *Admission, body []byte) (*Request, *httptest.ResponseRecorder) {
	r := httptest.NewRequest("POST", "/v1/events", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-ndjson")
	w := httptest.NewRecorder()
	return a.Admit(w, r), w
}

// Body bytes are bounded apart from requests: a body that would pass the
// bytes in flight gets 429 with Retry-After, and gets in once the bytes
// held are freed. Two endpoints sharing a Budget share its bytes.
func TestBytesInFlight(t *testing.T) {
	b := NewBudget(10, 150<<10)
	events, got := testAdmission(Limits{Budget: b})
	traces, _ := testAdmission(Limits{Budget: b})
	body := bytes.Repeat([]byte("x"), 100<<10)
	first, _ := postBody(events, body)
	if first == nil {
		t.Fatalf("first body refused: %+v", *got)
	}
	if n, held := b.InFlight(); n != 1 || held != int64(len(body))+1 {
		t.Fatalf("in flight %d requests, %d bytes; want 1 and %d", n, held, len(body)+1)
	}
	second, w := postBody(traces, body)
	if second != nil || w.Code != 429 || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("second body past the bytes in flight: %v, %d", second, w.Code)
	}
	if n, held := b.InFlight(); n != 1 || held != int64(len(body))+1 {
		t.Fatalf("the refused body kept bytes: %d requests, %d bytes", n, held)
	}
	first.Done()
	if n, held := b.InFlight(); n != 0 || held != 0 {
		t.Fatalf("after Done: %d requests, %d bytes", n, held)
	}
	third, _ := postBody(traces, body)
	if third == nil {
		t.Fatal("refused once the bytes were freed")
	}
	third.Done()
}

// A refused request (too many in flight) frees the bytes its body took.
func TestSlotRefusalFreesBytes(t *testing.T) {
	a, _ := testAdmission(Limits{MaxInFlight: 1})
	first, _ := postBody(a, []byte("{}\n"))
	if second, w := postBody(a, []byte("{}\n")); second != nil || w.Code != http.StatusTooManyRequests {
		t.Fatalf("second: %v %d", second, w.Code)
	}
	if n, held := a.budget.InFlight(); n != 1 || held != 4 {
		t.Fatalf("in flight %d requests, %d bytes; want 1 and 4", n, held)
	}
	first.Done()
}

// A body announced larger than the limit is refused before it is read.
func TestContentLengthOverLimit(t *testing.T) {
	r := httptest.NewRequest("POST", "/", nil)
	r.ContentLength = 1 << 40
	if _, status, err := Read(r, 100); status != 413 || err == nil {
		t.Fatalf("%d %v", status, err)
	}
}
