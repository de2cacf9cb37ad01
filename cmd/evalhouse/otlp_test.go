package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// otlpExample is the restamped copy of examples/otlp (see TestMain).
var otlpExample string

// sqlRows runs `evalhouse sql --format tsv` and returns its rows, without
// the header.
func sqlRows(t *testing.T, store, q string) []string {
	t.Helper()
	out, code := run(t, nil, store, "sql", "--format", "tsv", q)
	if code != 0 {
		t.Fatalf("sql %q: exit %d\n%s", q, code, out)
	}
	return strings.Split(strings.TrimSpace(out), "\n")[1:]
}

func TestOTLPIngestExampleFile(t *testing.T) {
	store, _ := storeFlag(t)
	out, code := run(t, nil, store, "ingest", otlpExample)
	if code != 0 || !strings.Contains(out, "accepted 8, rejected 0, expired 0, duplicates 0") || !strings.Contains(out, "contract violations 0") {
		t.Fatalf("ingest: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "7 span(s) in 1 request(s): 7 mapped to events") {
		t.Errorf("no OTLP summary:\n%s", out)
	}
	got := sqlRows(t, store, `SELECT kind, tenant, environment, release, run_id, input_tokens, output_tokens, cost_usd > 0
		FROM agent_events ORDER BY kind, ts`)
	want := []string{
		"eval	acme	staging	2.4.0	5b8efff798038103d269b633813fc60c	0	0	0",
		"memory	acme	staging	2.4.0	5b8efff798038103d269b633813fc60c	0	0	0",
		"model	acme	staging	2.4.0	5b8efff798038103d269b633813fc60c	812	64	1",
		"model	acme	staging	2.4.0	5b8efff798038103d269b633813fc60c	1018	78	1",
		"policy	acme	staging	2.4.0	5b8efff798038103d269b633813fc60c	0	0	0",
		"retrieval	acme	staging	2.4.0	5b8efff798038103d269b633813fc60c	0	0	0",
		"run	acme	staging	2.4.0	5b8efff798038103d269b633813fc60c	0	0	0",
		"tool	acme	staging	2.4.0	5b8efff798038103d269b633813fc60c	0	0	0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The same file again: every event is a duplicate.
	out, code = run(t, nil, store, "ingest", otlpExample)
	if code != 0 || !strings.Contains(out, "accepted 0, rejected 0, expired 0, duplicates 8") {
		t.Fatalf("second ingest: exit %d\n%s", code, out)
	}
}

func TestOTLPServeReceivesTheOTelSDK(t *testing.T) {
	store, _ := storeFlag(t)
	lines, done, cancel := background(t, store, "serve", "--listen", "127.0.0.1:0")
	api := lines.waitFor(t, regexp.MustCompile(`ingest API on (http://\S+)`))

	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(api+"/v1/traces"),
		otlptracehttp.WithHeaders(map[string]string{"X-Evalhouse-Tenant": "acme"}))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(sdkresource.NewSchemaless(
		attribute.String("service.name", "support-agent"),
		attribute.String("service.version", "2.5.0"),
		attribute.String("deployment.environment.name", "staging"),
	)))
	tr := tp.Tracer("e2e")
	rctx, root := tr.Start(context.Background(), "invoke_agent support", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "invoke_agent"), attribute.String("gen_ai.agent.name", "support")))
	_, chat := tr.Start(rctx, "chat gpt-4o-mini", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.request.model", "gpt-4o-mini"),
		attribute.Int("gen_ai.usage.input_tokens", 300), attribute.Int("gen_ai.usage.output_tokens", 40)))
	chat.End()
	_, tool := tr.Start(rctx, "execute_tool orders.lookup", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "execute_tool"), attribute.String("gen_ai.tool.name", "orders.lookup")))
	tool.End()
	root.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatalf("export: %v", err)
	}
	cancel()
	select {
	case out := <-done:
		if !strings.Contains(out, "stopped") {
			t.Fatalf("serve did not stop cleanly:\n%s", out)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}

	traceID := root.SpanContext().TraceID().String()
	got := sqlRows(t, store, `SELECT kind, tenant, environment, release, run_id = trace_id, trace_id, model, tool, input_tokens, source
		FROM agent_events ORDER BY kind`)
	want := []string{
		"model	acme	staging	2.5.0	1	" + traceID + "	gpt-4o-mini		300	otlp",
		"run	acme	staging	2.5.0	1	" + traceID + "			0	otlp",
		"tool	acme	staging	2.5.0	1	" + traceID + "		orders.lookup	0	otlp",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
