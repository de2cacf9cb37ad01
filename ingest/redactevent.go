package ingest

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/ingest/redact"
)

// Every string an event carries is scrubbed before it is stored: the
// free-form payloads (input, output, args, attributes, nested at any depth)
// on the decoded event, where the redactor sees keys and values; every text
// field on the row it becomes. Kind, timestamps, numbers and identifiers
// are left untouched: an event whose identifier holds a secret is rejected
// (secretInIdentifier).

// redactPayloads scrubs an event's free-form values.
func redactPayloads(r *redact.Redactor, ev *envelope.Event, c redact.Counts) {
	ev.Input = redact.ScrubValue(r, ev.Input, c)
	ev.Output = redact.ScrubValue(r, ev.Output, c)
	ev.Args = redact.ScrubValue(r, ev.Args, c)
	if ev.Attributes != nil {
		redact.ScrubValue(r, ev.Attributes, c)
	}
}

// redactRow scrubs a stored row's content (Pipeline.Row): its payloads
// (redactJSONText), and its text fields.
func redactRow(r *redact.Redactor, row *events.Row, c redact.Counts) {
	for _, s := range []*string{&row.Input, &row.Output, &row.Args, &row.Attributes} {
		if *s != "" {
			*s = redactJSONText(r, *s, c)
		}
	}
	redactText(r, row, c)
}

// redactJSONText scrubs a payload stored as text: a JSON object or array
// is decoded and redacted as the event's value was (redact.ScrubValue: keys,
// identifiers kept), and re-encoded only when something was replaced;
// any other text is Scrubbed.
func redactJSONText(r *redact.Redactor, s string, c redact.Counts) string {
	if s[0] == '{' || s[0] == '[' {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			if _, err := dec.Token(); err == io.EOF {
				local := redact.Counts{}
				v = redact.ScrubValue(r, v, local)
				if len(local) == 0 {
					return s
				}
				c.Add(local)
				return text(v)
			}
		}
	}
	return redact.Scrub(r, s, c)
}

// redactText scrubs a row's text fields, identifiers excepted (see
// secretInIdentifier).
func redactText(r *redact.Redactor, row *events.Row, c redact.Counts) {
	for _, s := range []*string{
		&row.Tenant, &row.Environment, &row.Release, &row.Status,
		&row.Actor, &row.Task, &row.StopReason,
		&row.Model, &row.PromptVersion, &row.InputRef, &row.OutputStatus,
		&row.Tool, &row.Authorization, &row.SideEffect,
		&row.AccessDecision,
		&row.Op, &row.RetentionClass, &row.PolicyBasis,
		&row.PolicyVersion, &row.Decision, &row.ReasonCode, &row.Enforcement,
		&row.ApproverRole, &row.Action, &row.Result,
		&row.Evaluator, &row.EvaluatorVersion,
	} {
		if *s != "" {
			*s = redact.Scrub(r, *s, c)
		}
	}
}

// secretInIdentifier returns why row must be rejected if one of its
// identifiers holds a secret, or "". Identifiers are never rewritten by
// redaction (a rewritten trace_id or run_id silently breaks every join on
// it); an event whose identifier is itself a secret is rejected instead,
// the field and the kind of secret named, the value never quoted.
func secretInIdentifier(r *redact.Redactor, row *events.Row) string {
	for _, f := range []struct {
		name string
		v    string
	}{
		{"event_id", row.EventID}, {"trace_id", row.TraceID}, {"span_id", row.SpanID},
		{"parent_span_id", row.ParentSpanID}, {"run_id", row.RunID}, {"case_id", row.CaseID},
		{"dataset", row.Dataset}, {"idempotency_key", row.IdempotencyKey},
	} {
		if typ := r.Identifier(f.v); typ != "" {
			return identifierReason(f.name, typ)
		}
	}
	for _, l := range []struct {
		name string
		ids  []string
	}{{"source_ids", row.SourceIDs}, {"read_ids", row.ReadIDs}, {"write_ids", row.WriteIDs}} {
		for i, id := range l.ids {
			if typ := r.Identifier(id); typ != "" {
				return identifierReason(fmt.Sprintf("%s[%d]", l.name, i), typ)
			}
		}
	}
	return ""
}

func identifierReason(field, typ string) string {
	return fmt.Sprintf("field %q: identifier holds a secret (%s); identifiers are never redacted, so the event is rejected", field, typ)
}
