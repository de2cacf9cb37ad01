// Package httpbody admits ingest requests the same way on every HTTP
// endpoint (POST /v1/events, POST /v1/traces): the method, the requests in
// flight, the content type (one of the endpoint's ingest.Registry), the
// content encoding (gzip or identity, inflated bounded) and the body size,
// each refusal with its status code.
package httpbody

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrTooLarge is returned (wrapped) for bodies over the limit.
var ErrTooLarge = errors.New("body too large")

// Read reads r's body, decompressing gzip, up to max bytes after
// decompression. On failure it returns the status to answer: 413 over the
// limit, 415 for an unsupported Content-Encoding, 400 otherwise.
func Read(r *http.Request, max int64) ([]byte, int, error) {
	var src io.Reader = http.MaxBytesReader(nil, r.Body, max+1)
	switch ce := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); ce {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("gzip body: %v", err)
		}
		src = zr
	default:
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("content encoding %q: send gzip or none", ce)
	}
	body, err := io.ReadAll(io.LimitReader(src, max+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || int64(len(body)) > max {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("%w: the limit is %d bytes; split the batch", ErrTooLarge, max)
	}
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("read body: %v", err)
	}
	return body, 0, nil
}
