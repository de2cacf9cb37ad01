// Package httpingest accepts envelope events over HTTP: POST /v1/events
// with an NDJSON body. A request is answered only once its events are
// stored: never a 200 followed by a silent drop.
package httpingest

import (
	"log/slog"
	"net/http"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/redact"
	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/httpbody"
)

// Handler serves POST /v1/events.
type Handler struct {
	cfg   Config
	w     *ingest.Writer
	admit *httpbody.Admission
	log   *slog.Logger
	red   *redact.Redactor
}

// New returns a handler storing through w. A nil logger discards.
func New(w *ingest.Writer, cfg Config, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	red := cfg.Pipeline.Redactor
	if red == nil {
		red = redact.New(redact.DefaultConfig())
	}
	refuse := func(w http.ResponseWriter, status int, _ ingest.Format, msg string) {
		httpbody.WriteJSON(w, status, Response{Error: redact.Scrub(red, msg, nil)})
	}
	return &Handler{cfg: cfg, w: w, log: log, red: red, admit: httpbody.NewAdmission(Formats(),
		cfg.Limits, "use POST with an NDJSON body", refuse)}
}

// Response is the JSON body of every answer to POST /v1/events. Its
// texts (Error, the summary's reasons) are scrubbed (ingest.Scrub).
type Response struct {
	ingest.Summary
	Error string `json:"error,omitempty"`
}

// ServeHTTP answers:
//
//	200  some events were stored (or were duplicates); the body is the summary,
//	     listing any rejected lines with their numbers and reasons (a
//	     tenant-scoped key's events naming another tenant among them)
//	400  nothing usable: every line was rejected (per-line errors in the body)
//	405  not a POST; 413 body over the limit; 415 not NDJSON/JSON
//	429  too many requests in flight (Retry-After)
//	503  the store failed; nothing from this request is acknowledged (Retry-After)
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := h.admit.Admit(w, r)
	if req == nil {
		return
	}
	defer req.Done()
	opts := h.cfg.Pipeline
	opts.Source, opts.Urgent = "http", false
	if p, ok := auth.FromContext(r.Context()); ok && p.Tenant != "" {
		opts.TenantScope = p.Tenant // a tenant-scoped key writes only its tenant
	}
	if r.URL.Query().Get("strict") == "true" {
		opts.Strict = true
	}
	p, err := ingest.NewPipeline(h.w, opts)
	if err != nil {
		httpbody.WriteJSON(w, http.StatusInternalServerError, Response{Error: redact.Scrub(h.red, err.Error(), nil)})
		return
	}
	// Envelope lines are rejected one by one, so an error here is not
	// the body's (permanent) but the store's: retryable.
	if _, err := p.Payload(r.Context(), "request", req.Format, req.Body); err != nil {
		h.storeFailed(w, p.Summary(), err)
		return
	}
	sum, err := p.Close(r.Context())
	if err != nil {
		h.storeFailed(w, sum, err)
		return
	}
	if sum.Accepted+sum.Duplicates == 0 && sum.Rejected+sum.Expired > 0 {
		httpbody.WriteJSON(w, http.StatusBadRequest, Response{Summary: sum, Error: "no usable events"})
		return
	}
	httpbody.WriteJSON(w, http.StatusOK, Response{Summary: sum})
}

func (h *Handler) storeFailed(w http.ResponseWriter, sum ingest.Summary, err error) {
	msg := redact.Scrub(h.red, err.Error(), nil)
	h.log.Error("events not stored", "err", msg)
	w.Header().Set("Retry-After", "5")
	httpbody.WriteJSON(w, http.StatusServiceUnavailable, Response{Summary: sum,
		Error: "store unavailable; nothing from this request is acknowledged, retry: " + msg})
}
