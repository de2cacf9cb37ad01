package otlp

import (
	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/httpbody"
)

// Config configures the OTLP/HTTP handler.
type Config struct {
	// Limits bound request bodies and concurrent requests.
	httpbody.Limits
	// Pipeline is the template for each request's pipeline (Strict,
	// Redactor, Retention, …); Source ("otlp") and Urgent are set here.
	Pipeline ingest.Options
	// Defaults are the server's tenant, environment and release for
	// spans that name none (see Options.Fallback).
	Defaults Defaults
}

// Validate reports what is wrong with c (its Limits).
func (c Config) Validate() error { return c.Limits.Validate() }
