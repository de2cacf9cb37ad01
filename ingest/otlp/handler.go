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
	"github.com/evalhouse/evalhouse/internal/httpbody"
)

// Config configures the OTLP/HTTP handler.
type Config struct {
	// MaxBody is the largest accepted request body, after gzip; 0 means 16 MiB.
	MaxBody int64
	// MaxInFlight bounds concurrent requests; more get 429. 0 means 64.
	MaxInFlight int
	// Pipeline is the template for each request's pipeline (Strict,
	// Redactor, Retention, …); Source ("otlp") and Urgent are set here.
	Pipeline ingest.Options
	// Defaults are the server's tenant, environment and release for
	// spans that name none (see Options.Fallback).
	Defaults Defaults
}

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
	cfg Config
	w   *ingest.Writer
	sem chan struct{}
	log *slog.Logger
}

// NewHandler returns a handler storing through w. A nil logger discards.
func NewHandler(w *ingest.Writer, cfg Config, log *slog.Logger) *Handler {
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

type encoding int

const (
	encJSON encoding = iota
	encProto
)

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
	enc := encJSON
	ct := httpbody.MediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-protobuf", "application/protobuf":
		enc = encProto
	case "application/json":
	default:
		if r.Method == http.MethodPost {
			h.fail(w, enc, http.StatusUnsupportedMediaType, codeInvalidArgument,
				fmt.Sprintf("content type %q: send application/x-protobuf or application/json", ct))
			return
		}
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, enc, http.StatusMethodNotAllowed, codeInvalidArgument, "use POST")
		return
	}
	select {
	case h.sem <- struct{}{}:
		defer func() { <-h.sem }()
	default:
		w.Header().Set("Retry-After", "1")
		h.fail(w, enc, http.StatusTooManyRequests, codeResourceExhausted, "too many requests in flight; retry")
		return
	}
	body, code, err := httpbody.Read(r, h.cfg.MaxBody)
	if err != nil {
		h.fail(w, enc, code, codeInvalidArgument, err.Error())
		return
	}
	var req *coltracepb.ExportTraceServiceRequest
	if enc == encProto {
		req, err = DecodeProtobuf(body)
	} else {
		req, err = DecodeJSON(body)
	}
	if err != nil {
		h.fail(w, enc, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}

	opts := h.cfg.Pipeline
	opts.Source, opts.Urgent = "otlp", false
	if r.URL.Query().Get("strict") == "true" {
		opts.Strict = true
	}
	p, err := ingest.NewPipeline(h.w, opts)
	if err != nil {
		h.fail(w, enc, http.StatusInternalServerError, codeInternal, err.Error())
		return
	}
	mopts := Options{
		Sender: Defaults{
			Tenant:      r.Header.Get(HeaderTenant),
			Environment: r.Header.Get(HeaderEnvironment),
			Release:     r.Header.Get(HeaderRelease),
		},
		Fallback: h.cfg.Defaults,
	}
	res, err := Feed(r.Context(), p, "request", 0, req, mopts)
	if err != nil {
		h.storeFailed(w, enc, err)
		return
	}
	sum, err := p.Close(r.Context())
	if err != nil {
		h.storeFailed(w, enc, err)
		return
	}
	h.log.Debug("otlp request stored", "spans", res.Spans, "events", len(res.Events), "accepted", sum.Accepted,
		"duplicates", sum.Duplicates, "folded", res.Folded, "rejected", sum.Rejected, "expired", sum.Expired)
	resp := &coltracepb.ExportTraceServiceResponse{}
	// Every span not stored is in sum: unusable and unattached spans (Feed
	// rejects them), rejected and expired events. Events map one to one to
	// spans, except a span's evaluation events: bound by the spans.
	if n := min(sum.Rejected+sum.Expired, res.Spans); n > 0 {
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

func (h *Handler) storeFailed(w http.ResponseWriter, enc encoding, err error) {
	h.log.Error("otlp spans not stored", "err", err)
	w.Header().Set("Retry-After", "5")
	h.fail(w, enc, http.StatusServiceUnavailable, codeUnavailable,
		"store unavailable; nothing from this request is acknowledged, retry: "+err.Error())
}

// fail answers with a google.rpc.Status body.
func (h *Handler) fail(w http.ResponseWriter, enc encoding, httpCode int, code int32, msg string) {
	write(w, enc, httpCode, &status.Status{Code: code, Message: msg})
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
