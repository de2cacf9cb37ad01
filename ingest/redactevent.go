package ingest

import (
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/ingest/redact"
)

// Every string an event carries is scrubbed before it is stored: the
// free-form payloads (input, output, args, attributes, nested at any depth)
// on the decoded event, where the redactor sees keys and values; every text
// field on the row it becomes. Only kind, timestamps and numbers are left
// untouched.

// redactPayloads scrubs an event's free-form values.
func redactPayloads(r *redact.Redactor, ev *envelope.Event, c redact.Counts) {
	ev.Input = r.Value(ev.Input, c)
	ev.Output = r.Value(ev.Output, c)
	ev.Args = r.Value(ev.Args, c)
	if ev.Attributes != nil {
		r.Value(ev.Attributes, c)
	}
}

// redactRow scrubs a stored row's content (Pipeline.Row): its payloads as
// their JSON text, and its text fields.
func redactRow(r *redact.Redactor, row *Row, c redact.Counts) {
	for _, s := range []*string{&row.Input, &row.Output, &row.Args, &row.Attributes} {
		if *s != "" {
			*s = r.String(*s, c)
		}
	}
	redactText(r, row, c)
}

// redactText scrubs a row's text fields and id lists.
func redactText(r *redact.Redactor, row *Row, c redact.Counts) {
	for _, s := range []*string{
		&row.EventID, &row.TraceID, &row.SpanID, &row.ParentSpanID, &row.RunID, &row.Tenant, &row.Environment,
		&row.Release, &row.Status, &row.Dataset, &row.CaseID,
		&row.Actor, &row.Task, &row.StopReason,
		&row.Model, &row.PromptVersion, &row.InputRef, &row.OutputStatus,
		&row.Tool, &row.Authorization, &row.IdempotencyKey, &row.SideEffect,
		&row.AccessDecision,
		&row.Op, &row.RetentionClass, &row.PolicyBasis,
		&row.PolicyVersion, &row.Decision, &row.ReasonCode, &row.Enforcement,
		&row.ApproverRole, &row.Action, &row.Result,
		&row.Evaluator, &row.EvaluatorVersion,
	} {
		if *s != "" {
			*s = r.String(*s, c)
		}
	}
	for _, ids := range [][]string{row.SourceIDs, row.ReadIDs, row.WriteIDs} {
		for i := range ids {
			ids[i] = r.String(ids[i], c)
		}
	}
}
