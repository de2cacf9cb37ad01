package ingest

import (
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/ingest/redact"
)

// redactEvent scrubs every string an event carries: the free-form payloads
// (input, output, args, attributes, nested at any depth) and every text
// field. Only kind, timestamps and numbers are left untouched.
func redactEvent(r *redact.Redactor, ev *envelope.Event, c redact.Counts) {
	ev.Input = r.Value(ev.Input, c)
	ev.Output = r.Value(ev.Output, c)
	ev.Args = r.Value(ev.Args, c)
	if ev.Attributes != nil {
		r.Value(ev.Attributes, c)
	}
	for _, s := range []*string{
		&ev.EventID, &ev.TraceID, &ev.SpanID, &ev.ParentSpanID, &ev.RunID, &ev.Tenant, &ev.Environment,
		&ev.Release, &ev.Status, &ev.Dataset, &ev.CaseID,
		&ev.Actor, &ev.Task, &ev.StopReason,
		&ev.Model, &ev.PromptVersion, &ev.InputRef, &ev.OutputStatus,
		&ev.Tool, &ev.Authorization, &ev.IdempotencyKey, &ev.SideEffect,
		&ev.AccessDecision,
		&ev.Op, &ev.RetentionClass, &ev.PolicyBasis,
		&ev.PolicyVersion, &ev.Decision, &ev.ReasonCode, &ev.Enforcement,
		&ev.ApproverRole, &ev.Action, &ev.Result,
		&ev.Evaluator, &ev.EvaluatorVersion,
	} {
		if *s != "" {
			*s = r.String(*s, c)
		}
	}
	for _, ids := range [][]string{ev.SourceIDs, ev.ReadIDs, ev.WriteIDs} {
		for i := range ids {
			ids[i] = r.String(ids[i], c)
		}
	}
}
