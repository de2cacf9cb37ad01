// Package httpingest accepts envelope events over HTTP: POST /v1/events
// with an NDJSON body. A request is answered only once its events are
// stored: never a 200 followed by a silent drop.
package httpingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/httpbody"
)

// Config configures the handler.
type Config struct {
	// MaxBody is the largest accepted request body, after gzip; 0 means 16 MiB.
	MaxBody int64
	// MaxInFlight bounds concurrent requests; more get 429. 0 means 64.
	MaxInFlight int
	// Pipeline is the template for each request's pipeline (Strict,
	// Redactor, Retention, …); Source and Urgent are set by the handler.
	Pipeline ingest.Options
}

// Handler serves POST /v1/events.
type Handler struct {
	cfg Config
	w   *ingest.Writer
	sem chan struct{}
	log *slog.Logger
}

// New returns a handler storing through w. A nil logger discards.
func New(w *ingest.Writer, cfg Config, log *slog.Logger) *Handler {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 16 << 20
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 64
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, w: w, sem: make(chan struct{}, cfg.MaxInFlight), log: log}
}

// Response is the JSON body of every answer to POST /v1/events.
type Response struct {
	ingest.Summary
	Error string `json:"error,omitempty"`
}

// ServeHTTP answers:
//
//	200  some events were stored (or were duplicates); the body is the summary,
//	     listing any rejected lines with their numbers and reasons
//	400  nothing usable: every line was rejected (per-line errors in the body)
//	405  not a POST; 413 body over the limit; 415 not NDJSON/JSON
//	429  too many requests in flight (Retry-After)
//	503  the store failed; nothing from this request is acknowledged (Retry-After)
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, Response{Error: "use POST with an NDJSON body"})
		return
	}
	select {
	case h.sem <- struct{}{}:
		defer func() { <-h.sem }()
	default:
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, Response{Error: "too many requests in flight; retry"})
		return
	}
	switch ct := httpbody.MediaType(r.Header.Get("Content-Type")); ct {
	case "", "application/x-ndjson", "application/ndjson", "application/jsonl", "application/json", "text/plain":
	default:
		writeJSON(w, http.StatusUnsupportedMediaType, Response{Error: fmt.Sprintf("content type %q: send application/x-ndjson", ct)})
		return
	}
	body, status, err := httpbody.Read(r, h.cfg.MaxBody)
	if err != nil {
		writeJSON(w, status, Response{Error: err.Error()})
		return
	}

	opts := h.cfg.Pipeline
	opts.Source, opts.Urgent = "http", false
	if r.URL.Query().Get("strict") == "true" {
		opts.Strict = true
	}
	p, err := ingest.NewPipeline(h.w, opts)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, Response{Error: err.Error()})
		return
	}
	origin := "request"
	if err := p.ReadNDJSON(r.Context(), origin, bytes.NewReader(body)); err != nil {
		h.storeFailed(w, p.Summary(), err)
		return
	}
	sum, err := p.Close(r.Context())
	if err != nil {
		h.storeFailed(w, sum, err)
		return
	}
	if sum.Accepted+sum.Duplicates == 0 && sum.Rejected+sum.Expired > 0 {
		writeJSON(w, http.StatusBadRequest, Response{Summary: sum, Error: "no usable events"})
		return
	}
	writeJSON(w, http.StatusOK, Response{Summary: sum})
}

func (h *Handler) storeFailed(w http.ResponseWriter, sum ingest.Summary, err error) {
	h.log.Error("events not stored", "err", err)
	w.Header().Set("Retry-After", "5")
	writeJSON(w, http.StatusServiceUnavailable, Response{Summary: sum, Error: "store unavailable; nothing from this request is acknowledged, retry: " + err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
