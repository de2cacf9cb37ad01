package otlp

import (
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

// Validate reports what is wrong with c, naming the serve flag.
func (c Config) Validate() error {
	return httpbody.Limits{MaxBody: c.MaxBody, MaxInFlight: c.MaxInFlight}.Validate()
}
