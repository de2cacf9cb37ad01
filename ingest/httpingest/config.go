package httpingest

import (
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

// Validate reports what is wrong with c, naming the serve flag.
func (c Config) Validate() error {
	return httpbody.Limits{MaxBody: c.MaxBody, MaxInFlight: c.MaxInFlight}.Validate()
}

// Formats are the media types POST /v1/events takes: envelope NDJSON under
// its usual names, and a body without a Content-Type.
func Formats() *ingest.Registry {
	return ingest.NewRegistry().
		Register(ingest.Envelope, "application/x-ndjson", "application/ndjson", "application/jsonl", "application/json", "text/plain").
		Default(ingest.Envelope)
}
