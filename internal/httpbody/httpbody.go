// Package httpbody admits ingest requests the same way on every HTTP
// endpoint (POST /v1/events, POST /v1/traces): the method, the content
// type (one of the endpoint's ingest.Registry), the content encoding (gzip
// or identity, inflated as a stream and bounded after inflation), the body
// size, the body bytes and the requests in flight (a Budget), each refusal
// with its status code. Timeouts bound every listener's connections.
package httpbody

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// ErrTooLarge is returned (wrapped) for bodies over the limit.
var ErrTooLarge = errors.New("body too large")

// ErrBusy is returned (wrapped) when the bytes in flight leave no room for
// a body: the sender is told to retry (429).
var ErrBusy = errors.New("too many bytes in flight")

// firstChunk is the buffer a body is first read into; it grows by doubling
// as bytes arrive, each growth reserved in the Budget first. A sender thus
// holds at most max(firstChunk, twice what it has sent): small, so that
// many slow senders cannot take the bytes in flight either.
const firstChunk = 4 << 10

// Read reads r's body, decompressing gzip, up to max bytes after
// decompression. On failure it returns the status to answer: 413 over the
// limit, 415 for an unsupported Content-Encoding, 408 when the listener's
// read timeout ends the body, 400 otherwise.
func Read(r *http.Request, max int64) ([]byte, int, error) {
	body, _, status, err := read(r, max, nil)
	return body, status, err
}

// read is Read that holds the body's buffer in b (nil: unbounded). It
// returns how many bytes it reserved; the caller releases them once done
// with the body. On failure nothing stays reserved. Bytes are reserved as
// they arrive, never far ahead of them (see firstChunk): a Content-Length
// is not trusted for room (a slow sender that announces 16 MiB holds only
// about what it sent), only for an early 413.
func read(r *http.Request, max int64, b *Budget) (body []byte, held int64, status int, err error) {
	var src io.Reader = http.MaxBytesReader(nil, r.Body, max+1)
	ceiling := max + 1 // one byte past the limit tells a body over it
	switch ce := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); ce {
	case "", "identity":
		if r.ContentLength > max {
			return nil, 0, http.StatusRequestEntityTooLarge, tooLarge(max)
		}
		if r.ContentLength >= 0 {
			ceiling = r.ContentLength + 1
		}
	case "gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, 0, readStatus(err, http.StatusBadRequest), fmt.Errorf("gzip body: %v", err)
		}
		src = zr
	default:
		return nil, 0, http.StatusUnsupportedMediaType, fmt.Errorf("content encoding %q: send gzip or none", ce)
	}
	fail := func(status int, err error) ([]byte, int64, int, error) {
		if b != nil {
			b.releaseBytes(held)
		}
		return nil, 0, status, err
	}
	var buf []byte
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > max {
				return fail(http.StatusRequestEntityTooLarge, tooLarge(max))
			}
			next := min(max64(2*int64(cap(buf)), firstChunk), ceiling)
			if b != nil && !b.takeBytes(next-int64(cap(buf))) {
				_, limit := b.Max()
				return fail(http.StatusTooManyRequests, fmt.Errorf("%w (the server holds at most %d body bytes at once); retry", ErrBusy, limit))
			}
			held += next - int64(cap(buf))
			nb := make([]byte, len(buf), next)
			copy(nb, buf)
			buf = nb
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return fail(http.StatusRequestEntityTooLarge, tooLarge(max))
			}
			prefix := "read body"
			if _, ok := src.(*gzip.Reader); ok {
				prefix = "gzip body"
			}
			return fail(readStatus(err, http.StatusBadRequest), fmt.Errorf("%s: %v", prefix, err))
		}
	}
	if int64(len(buf)) > max {
		return fail(http.StatusRequestEntityTooLarge, tooLarge(max))
	}
	return buf, held, 0, nil
}

func tooLarge(max int64) error {
	return fmt.Errorf("%w: the limit is %d bytes; split the batch", ErrTooLarge, max)
}

// readStatus is 408 for a read the listener's timeout ended, def otherwise.
func readStatus(err error, def int) int {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return http.StatusRequestTimeout
	}
	return def
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
