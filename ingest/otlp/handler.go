package otlp

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/redact"
	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/internal/httpbody"
)

// The request headers that name a tenant, environment and release (see
// Options.Sender).
const (
	HeaderTenant      = "X-Evalhouse-Tenant"
	HeaderEnvironment = "X-Evalhouse-Environment"
	HeaderRelease     = "X-Evalhouse-Release"
)

// Handler serves POST /v1/traces (OTLP/HTTP, protobuf or JSON). A request
// is answered only once its events are stored: never a 200 followed by a
// drop.
type Handler struct {
	cfg   Config
	w     *ingest.Writer
	admit *httpbody.Admission
	log   *slog.Logger
	red   *redact.Redactor
}

// NewHandler returns a handler storing through w. A nil logger discards.
func NewHandler(w *ingest.Writer, cfg Config, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, w: w, log: log, red: cfg.Pipeline.Redactor}
	if h.red == nil {
		h.red = redact.New(redact.DefaultConfig())
	}
	h.admit = httpbody.NewAdmission(Formats(Options{Fallback: cfg.Defaults}),
		cfg.Limits, "use POST", h.refuse)
	return h
}

type encoding int

const (
	encJSON encoding = iota
	encProto
)

func encodingOf(f ingest.Format) encoding {
	if f.Name == NameProtobuf {
		return encProto
	}
	return encJSON
}

// gRPC status codes used in error bodies.
const (
	codeInvalidArgument   = 3
	codeResourceExhausted = 8
	codeInternal          = 13
	codeUnavailable       = 14
)

// ServeHTTP answers, in the request's encoding:
//
//	200  ExportTraceServiceResponse; partial_success{rejected_spans,
//	     error_message} when some spans (or, with ?strict=true, events)
//	     were rejected. Every other span is stored (or was already).
//	400  the body is not an ExportTraceServiceRequest (google.rpc.Status)
//	405  not a POST; 413 body over the limit; 415 unsupported
//	     Content-Type or Content-Encoding
//	429  too many requests in flight (Retry-After)
//	503  the store failed; nothing from this request is acknowledged (Retry-After)
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := h.admit.Admit(w, r)
	if req == nil {
		return
	}
	defer req.Done()
	enc := encodingOf(req.Format)
	fallback := h.cfg.Defaults
	opts := h.cfg.Pipeline
	opts.Source, opts.Urgent = "otlp", false
	if p, ok := auth.FromContext(r.Context()); ok && p.Tenant != "" {
		// A tenant-scoped key writes only its tenant: spans naming none
		// get it (before the server's default), spans naming another
		// tenant (attribute, header or resource) are rejected.
		fallback.Tenant, opts.TenantScope = p.Tenant, p.Tenant
	}
	f := formatWithOptions(req.Format, Options{
		Sender: Defaults{
			Tenant:      r.Header.Get(HeaderTenant),
			Environment: r.Header.Get(HeaderEnvironment),
			Release:     r.Header.Get(HeaderRelease),
		},
		Fallback: fallback,
	})
	if r.URL.Query().Get("strict") == "true" {
		opts.Strict = true
	}
	p, err := ingest.NewPipeline(h.w, opts)
	if err != nil {
		h.fail(w, enc, http.StatusInternalServerError, codeInternal, err.Error())
		return
	}
	d, err := p.Payload(r.Context(), "request", f, req.Body)
	switch {
	case ingest.IsPermanent(err): // not an ExportTraceServiceRequest
		h.refuse(w, http.StatusBadRequest, req.Format, err.Error())
		return
	case err != nil:
		h.storeFailed(w, req.Format, err)
		return
	}
	sum, err := p.Close(r.Context())
	if err != nil {
		h.storeFailed(w, req.Format, err)
		return
	}
	h.log.Debug("otlp request stored", "spans", d.Parts, "events", len(d.Events), "accepted", sum.Accepted,
		"duplicates", sum.Duplicates, "folded", d.Parts-len(d.Events)-len(d.Rejected), "rejected", sum.Rejected, "expired", sum.Expired)
	resp := &coltracepb.ExportTraceServiceResponse{}
	// Every span not stored is in sum: unusable and unattached spans (Feed
	// rejects them), rejected and expired events. Events map one to one to
	// spans, except a span's evaluation events: bound by the spans.
	if n := min(sum.Rejected+sum.Expired, d.Parts); n > 0 {
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{
			RejectedSpans: int64(n),
			ErrorMessage:  rejectMessage(sum),
		}
	}
	write(w, enc, http.StatusOK, resp)
}

// rejectMessage names the first few reasons; it never quotes values.
func rejectMessage(sum ingest.Summary) string {
	var parts []string
	for _, e := range sum.Errors {
		if len(parts) == 5 {
			break
		}
		parts = append(parts, fmt.Sprintf("%d: %s", e.Line, e.Reason))
	}
	n := sum.Rejected + sum.Expired
	msg := fmt.Sprintf("%d not stored: %s", n, strings.Join(parts, "; "))
	if n > len(parts) {
		msg += "; …"
	}
	return msg
}

func (h *Handler) storeFailed(w http.ResponseWriter, f ingest.Format, err error) {
	h.log.Error("otlp spans not stored", "err", redact.Scrub(h.red, err.Error(), nil))
	h.admit.StoreFailed(w, f, err)
}

// refuse answers an admission refusal (and a body that does not decode)
// with a google.rpc.Status in the request's encoding.
func (h *Handler) refuse(w http.ResponseWriter, status int, f ingest.Format, msg string) {
	code := int32(codeInvalidArgument)
	switch status {
	case http.StatusTooManyRequests:
		code = codeResourceExhausted
	case http.StatusServiceUnavailable:
		code = codeUnavailable
	}
	h.fail(w, encodingOf(f), status, code, msg)
}

// fail answers with a google.rpc.Status body, its message scrubbed
// (ingest.Scrub: a decoder's error may name what the body held).
func (h *Handler) fail(w http.ResponseWriter, enc encoding, httpCode int, code int32, msg string) {
	write(w, enc, httpCode, &status.Status{Code: code, Message: redact.Scrub(h.red, msg, nil)})
}

func write(w http.ResponseWriter, enc encoding, code int, m proto.Message) {
	var b []byte
	if enc == encProto {
		b, _ = proto.Marshal(m)
		w.Header().Set("Content-Type", "application/x-protobuf")
	} else {
		b, _ = protojson.Marshal(m)
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}
