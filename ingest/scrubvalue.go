package ingest

import "github.com/evalhouse/evalhouse/ingest/redact"

// ScrubValue redacts a decoded JSON value (string, []any, map[string]any,
// nested at any depth) as ingest redacts a stored free-form field: string
// values as r.Value does (credential keys included), what hides behind
// JSON or URL escapes (Scrub), and object keys that hold a secret (renamed
// to a marker numbered within their object, "[REDACTED:github_token#1]").
// A string under an identifier key (span_id, trace_id, idempotency_key, …)
// is never rewritten for a card-like number. Containers are modified in
// place; the result must replace v. Counts are added to c (nil skips
// counting).
func ScrubValue(r *redact.Redactor, v any, c redact.Counts) any {
	return redactTree(r, v, c)
}
