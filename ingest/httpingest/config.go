package httpingest

import (
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/httpbody"
)

// Config configures the handler.
type Config struct {
	// Limits bound request bodies and concurrent requests.
	httpbody.Limits
	// Pipeline is the template for each request's pipeline (Strict,
	// Redactor, Retention, …); Source and Urgent are set by the handler.
	Pipeline ingest.Options
}

// Validate reports what is wrong with c (its Limits).
func (c Config) Validate() error { return c.Limits.Validate() }

// Formats are the media types POST /v1/events takes: envelope NDJSON under
// its usual names, and a body without a Content-Type.
func Formats() *ingest.Registry {
	return ingest.NewRegistry().
		Register(ingest.Envelope, "application/x-ndjson", "application/ndjson", "application/jsonl", "application/json", "text/plain").
		Default(ingest.Envelope)
}
