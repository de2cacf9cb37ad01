package otlp

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// agentRun emits a GenAI agent run through tp: invoke_agent → chat (with
// an evaluation event) and two execute_tool, the second failing. It
// returns the trace id.
func agentRun(ctx context.Context, tp trace.TracerProvider) string {
	tr := tp.Tracer("evalhouse-test-agent")
	ctx, root := tr.Start(ctx, "invoke_agent support", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "invoke_agent"),
		attribute.String("gen_ai.agent.name", "support"),
		attribute.String("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"refund order 7"}]}]`),
		attribute.Int("gen_ai.usage.input_tokens", 900), // totals the children: not counted again
		attribute.Int("gen_ai.usage.output_tokens", 120),
		attribute.String("evalhouse.actor", "user:4821"),
	))
	_, chat := tr.Start(ctx, "chat gpt-4o-mini", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.request.model", "gpt-4o-mini"),
		attribute.Int("gen_ai.usage.input_tokens", 600),
		attribute.Int("gen_ai.usage.cache_read.input_tokens", 500),
		attribute.Int("gen_ai.usage.output_tokens", 80),
		attribute.StringSlice("gen_ai.response.finish_reasons", []string{"tool_calls"}),
	))
	chat.AddEvent("gen_ai.evaluation.result", trace.WithAttributes(
		attribute.String("gen_ai.evaluation.name", "relevance"),
		attribute.Float64("gen_ai.evaluation.score.value", 0.9),
		attribute.String("gen_ai.evaluation.score.label", "pass"),
	))
	chat.End()
	for i, ok := range []bool{true, false} {
		_, tool := tr.Start(ctx, "execute_tool refund", trace.WithAttributes(
			attribute.String("gen_ai.operation.name", "execute_tool"),
			attribute.String("gen_ai.tool.name", "payments.refund"),
			attribute.String("gen_ai.tool.call.arguments", `{"order":7}`),
			attribute.String("evalhouse.tool.side_effect", "write"),
			attribute.Int("evalhouse.tool.retry_count", i),
		))
		if !ok {
			tool.SetStatus(codes.Error, "gateway timeout")
		}
		tool.End()
	}
	root.SetAttributes(attribute.String("gen_ai.output.messages", `[{"role":"assistant","parts":[{"type":"text","content":"refunded"}]}]`))
	root.End()
	return root.SpanContext().TraceID().String()
}

// newProvider returns a tracer provider exporting to url with the real
// otlptracehttp exporter (protobuf, gzip): batched, or one request per
// span (as long runs stream: children arrive before their root).
func newProvider(t *testing.T, url string, batched bool) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(url+"/v1/traces"),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression),
		otlptracehttp.WithHeaders(map[string]string{HeaderTenant: "acme"}),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
	)
	if err != nil {
		t.Fatal(err)
	}
	res := sdkresource.NewSchemaless(
		attribute.String("service.name", "support-agent"),
		attribute.String("service.version", "3.1.0"),
		attribute.String("deployment.environment.name", "staging"),
	)
	opt := sdktrace.WithSyncer(exp)
	if batched {
		opt = sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Hour))
	}
	return sdktrace.NewTracerProvider(opt, sdktrace.WithResource(res))
}

func TestOTelSDKExporterToStore(t *testing.T) {
	for _, batched := range []bool{true, false} {
		name := map[bool]string{true: "batched", false: "span by span"}[batched]
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			srv := serveOTLP(t, s, Config{})
			tp := newProvider(t, srv.URL, batched)
			ctx := context.Background()
			traceID := agentRun(ctx, tp)
			if err := tp.Shutdown(ctx); err != nil { // flushes; fails if the export failed
				t.Fatal(err)
			}
			type row struct {
				Kind, RunID, Tenant, Env, Release, Model, Tool, Status, CostSource, Actor, Evaluator string
				In, Out                                                                              uint64
				Cost                                                                                 float64
			}
			rows, err := s.Conn.Query(ctx, `SELECT kind, run_id, tenant, environment, release, model, tool, status, cost_source, actor, evaluator,
				input_tokens, output_tokens, cost_usd FROM agent_events ORDER BY kind, status, retry_count`)
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.Kind, &r.RunID, &r.Tenant, &r.Env, &r.Release, &r.Model, &r.Tool, &r.Status, &r.CostSource, &r.Actor, &r.Evaluator, &r.In, &r.Out, &r.Cost); err != nil {
					t.Fatal(err)
				}
				got = append(got, r)
			}
			rows.Close()
			kinds := ""
			for _, r := range got {
				kinds += r.Kind + " "
				if r.RunID != traceID || r.Tenant != "acme" || r.Env != "staging" || r.Release != "3.1.0" {
					t.Errorf("%s: run %s tenant %s env %s release %s", r.Kind, r.RunID, r.Tenant, r.Env, r.Release)
				}
			}
			if kinds != "eval model run tool tool " {
				t.Fatalf("stored kinds: %s", kinds)
			}
			ev, model, run, failed, ok := got[0], got[1], got[2], got[3], got[4] // ORDER BY status: error first
			if ev.Evaluator != "relevance" {
				t.Errorf("eval: %+v", ev)
			}
			if model.Model != "gpt-4o-mini" || model.In != 600 || model.Out != 80 || model.Cost <= 0 || model.CostSource == "reported" {
				t.Errorf("model: %+v", model)
			}
			if run.Actor != "user:4821" || run.In != 0 || run.Cost != 0 {
				t.Errorf("run: %+v", run)
			}
			if failed.Tool != "payments.refund" || failed.Status != "error" || ok.Status != "ok" {
				t.Errorf("tools: %+v %+v", failed, ok)
			}
			var sum uint64
			if err := s.Conn.QueryRow(ctx, "SELECT sum(input_tokens) FROM agent_events WHERE run_id = ?", traceID).Scan(&sum); err != nil || sum != 600 {
				t.Errorf("run's input tokens = %d (%v), want 600: only model calls count", sum, err)
			}
		})
	}
}
