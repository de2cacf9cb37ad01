package httpbody

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// FuzzRead feeds Read bodies as sent (identity) and as gzip streams, valid
// or not: it never returns more than the limit, answers only the statuses
// it documents, returns an identity body or a valid gzip body's inflated
// bytes as sent when they fit, and leaves nothing reserved in a Budget
// after a failure.
func FuzzRead(f *testing.F) {
	f.Add([]byte("{}\n"), false, uint16(100))
	f.Add(gz([]byte("{}\n")), true, uint16(100))
	f.Add(gz(bytes.Repeat([]byte("a"), 5000)), true, uint16(100))
	f.Add([]byte("\x1f\x8b\x08\x00garbage"), true, uint16(10))
	f.Fuzz(func(t *testing.T, data []byte, gzipped bool, max uint16) {
		limit := int64(max)
		check := func(body, want []byte, wantOK bool) func(int, error) {
			return func(status int, err error) {
				if err != nil {
					if status != 400 && status != 413 && status != 429 {
						t.Fatalf("status %d for %v", status, err)
					}
					if wantOK {
						t.Fatalf("refused a body within the limit: %d %v", status, err)
					}
					return
				}
				if int64(len(body)) > limit {
					t.Fatalf("%d bytes past the limit %d", len(body), limit)
				}
				if want != nil && !bytes.Equal(body, want) {
					t.Fatalf("body %q, want %q", body, want)
				}
			}
		}
		b := NewBudget(1, 1<<20)
		r := httptest.NewRequest("POST", "/", bytes.NewReader(data))
		if gzipped {
			r.Header.Set("Content-Encoding", "gzip")
		}
		body, held, status, err := read(r, limit, b)
		var want []byte
		if !gzipped {
			want = data
		}
		check(body, want, !gzipped && int64(len(data)) <= limit)(status, err)
		if _, inFlight := b.InFlight(); inFlight != held || (err != nil && held != 0) || (err == nil && held != int64(cap(body))) {
			t.Fatalf("held %d, budget says %d, body cap %d, err %v", held, inFlight, cap(body), err)
		}
		// The same bytes, gzipped by us: inflate to exactly them.
		r = httptest.NewRequest("POST", "/", bytes.NewReader(gz(data)))
		r.Header.Set("Content-Encoding", "gzip")
		body, status, err = Read(r, limit)
		check(body, data, int64(len(data)) <= limit && int64(len(gz(data))) <= limit)(status, err)
	})
}
