package otlp

import (
	"context"
	"encoding/binary"
	"os"
	"strconv"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest"
)

// benchSpans is how many spans each benchmark iteration handles;
// EVALHOUSE_BENCH_SPANS overrides.
func benchSpans() int {
	if n, err := strconv.Atoi(os.Getenv("EVALHOUSE_BENCH_SPANS")); err == nil && n > 0 {
		return n
	}
	return 50000
}

const (
	spansPerRequest = 500   // the OTel SDK batch span processor exports up to 512
	benchBatch      = 10000 // rows per insert: the pipeline's and Writer's default
)

// benchBodies encodes n spans as protobuf requests of spansPerRequest
// spans: agent runs of five spans (invoke_agent, two chat, execute_tool,
// retrieval) with GenAI attributes and prose messages, each run its own
// trace; seed makes ids unique across iterations.
func benchBodies(b testing.TB, n, seed int) ([][]byte, int) {
	prose := "The customer asked about the status of an order placed last week and whether the refund for the damaged item was processed; the agent looked up the order and replied with the tracking link."
	msgs := `[{"role":"system","parts":[{"type":"text","content":"You are a support agent."}]},{"role":"user","parts":[{"type":"text","content":"` + prose + `"}]}]`
	out := `[{"role":"assistant","parts":[{"type":"text","content":"` + prose[:120] + `"}]}]`
	var bodies [][]byte
	total := 0
	start := uint64(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC).UnixNano())
	id := func(buf []byte, v uint64) []byte {
		binary.BigEndian.PutUint64(buf[len(buf)-8:], v)
		return buf
	}
	for total < n {
		var spans []*tracepb.Span
		for len(spans) < spansPerRequest && total+len(spans) < n {
			run := uint64(seed)<<32 | uint64(total+len(spans))
			trace := id(make([]byte, 16), run)
			trace[0] = 1
			root := id(make([]byte, 8), run<<3|1)
			mk := func(k uint64, name string, parent []byte, at map[string]any) *tracepb.Span {
				return &tracepb.Span{TraceId: trace, SpanId: id(make([]byte, 8), run<<3|k), ParentSpanId: parent, Name: name,
					Kind: tracepb.Span_SPAN_KIND_INTERNAL, StartTimeUnixNano: start + k*1e6, EndTimeUnixNano: start + k*1e6 + 5e8,
					Attributes: kvs(at), Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK}}
			}
			spans = append(spans,
				mk(1, "invoke_agent support", nil, map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support",
					"gen_ai.input.messages": msgs, "gen_ai.output.messages": out, "gen_ai.usage.input_tokens": 900, "user.id": "user:" + strconv.Itoa(int(run%977))}),
				mk(2, "chat gpt-4o-mini", root, map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
					"gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.usage.input_tokens": 420, "gen_ai.usage.output_tokens": 61,
					"gen_ai.response.finish_reasons": []any{"tool_calls"}, "gen_ai.input.messages": msgs, "gen_ai.output.messages": out,
					"gen_ai.provider.name": "openai", "gen_ai.response.id": "chatcmpl-" + strconv.Itoa(int(run))}),
				mk(3, "execute_tool orders.lookup", root, map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "orders.lookup",
					"gen_ai.tool.call.id": "call_" + strconv.Itoa(int(run)), "gen_ai.tool.call.arguments": `{"order_id":"A-1042"}`,
					"gen_ai.tool.call.result": `{"status":"shipped","tracking":"1Z999"}`, "evalhouse.tool.side_effect": "read"}),
				mk(4, "retrieval kb", root, map[string]any{"gen_ai.operation.name": "retrieval", "gen_ai.data_source.id": "kb",
					"retrieval.documents.0.document.id": "kb-12", "retrieval.documents.1.document.id": "kb-40", "input.value": "refund policy damaged item"}),
				mk(5, "chat gpt-4o-mini", root, map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
					"gen_ai.usage.input_tokens": 510, "gen_ai.usage.output_tokens": 48, "gen_ai.response.finish_reasons": []any{"stop"},
					"gen_ai.input.messages": msgs, "gen_ai.output.messages": out}),
			)
		}
		req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
			Resource: &resourcepb.Resource{Attributes: kvs(map[string]any{"service.name": "support-agent", "service.version": "2.4.0",
				"deployment.environment.name": "staging", "evalhouse.tenant": "acme"})},
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}},
		}}}
		body, err := proto.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, body)
		total += len(spans)
	}
	return bodies, total
}

// BenchmarkProtoUnmarshal is the floor: proto.Unmarshal of the bodies
// BenchmarkOTLPToStore stores.
func BenchmarkProtoUnmarshal(b *testing.B) {
	bodies, n := benchBodies(b, benchSpans(), 0)
	size := 0
	for _, body := range bodies {
		size += len(body)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, body := range bodies {
			if err := proto.Unmarshal(body, &coltracepb.ExportTraceServiceRequest{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkDecodeAndMap is this package's own share: DecodeProtobuf and
// Map of the same bodies, no pipeline, no store.
func BenchmarkDecodeAndMap(b *testing.B) {
	bodies, n := benchBodies(b, benchSpans(), 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, body := range bodies {
			req, err := DecodeProtobuf(body)
			if err != nil {
				b.Fatal(err)
			}
			if res := Map(req, Options{}); res.Mapped != spansPerRequest && len(bodies) > 1 {
				b.Fatalf("mapped %d", res.Mapped)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkOTLPToStore measures protobuf bodies → DecodeProtobuf → Map →
// pipeline (redact, price, contract, dedup) → insert into the embedded
// engine, two ways:
//
//	file: one pipeline for every body, benchBatch events per insert (what
//	      `evalhouse ingest x.otlp.pb` does);
//	http: one pipeline per 500-span request as the handler runs it, 16
//	      senders at once, their rows coalesced by one Writer;
//	rows: the store alone: Writer.Write of the same events, already
//	      decoded, mapped and turned into rows (the bound of the other two).
//
// Compare its spans/s with BenchmarkProtoUnmarshal's.
func BenchmarkOTLPToStore(b *testing.B) {
	for _, mode := range []string{"file", "http", "rows"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			var elapsed time.Duration
			total := 0
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				bodies, n := benchBodies(b, benchSpans(), i+1)
				s := newStore(b)
				w := ingest.NewWriter(s.Conn, benchBatch, 0)
				var rows [][]events.Row
				if mode == "rows" {
					rows = toRows(b, bodies)
				}
				b.StartTimer()
				start := time.Now()
				switch mode {
				case "file":
					storeSerial(b, ctx, w, bodies)
				case "http":
					storeConcurrent(b, ctx, w, bodies, 16)
				default:
					for _, batch := range rows {
						if _, err := w.Write(ctx, batch, true); err != nil {
							b.Fatal(err)
						}
					}
				}
				elapsed += time.Since(start)
				total += n
				b.StopTimer()
				if got := count(b, s, "SELECT count() FROM agent_events"); got != uint64(n) {
					b.Fatalf("stored %d of %d", got, n)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(total)/elapsed.Seconds(), "spans/s")
		})
	}
}

// toRows maps bodies to rows in batches of benchBatch.
func toRows(b *testing.B, bodies [][]byte) [][]events.Row {
	var out [][]events.Row
	var batch []events.Row
	for _, body := range bodies {
		req, err := DecodeProtobuf(body)
		if err != nil {
			b.Fatal(err)
		}
		for _, ev := range Map(req, Options{}).Events {
			r := ingest.ToRow(ev)
			r.Source, r.StorageRetention, r.RetentionDays = "otlp", "standard", ingest.RetentionDays["standard"]
			batch = append(batch, r)
			if len(batch) == benchBatch {
				out, batch = append(out, batch), nil
			}
		}
	}
	return append(out, batch)
}

func storeSerial(b *testing.B, ctx context.Context, w *ingest.Writer, bodies [][]byte) {
	p, err := ingest.NewPipeline(w, ingest.Options{Source: "otlp", Urgent: true, BatchSize: benchBatch})
	if err != nil {
		b.Fatal(err)
	}
	for _, body := range bodies {
		req, err := DecodeProtobuf(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Feed(ctx, p, "bench", 0, req, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := p.Close(ctx); err != nil {
		b.Fatal(err)
	}
}

func storeConcurrent(b *testing.B, ctx context.Context, w *ingest.Writer, bodies [][]byte, senders int) {
	work := make(chan []byte)
	errs := make(chan error, senders)
	for g := 0; g < senders; g++ {
		go func() {
			var err error
			for body := range work {
				if err != nil {
					continue
				}
				var req *coltracepb.ExportTraceServiceRequest
				if req, err = DecodeProtobuf(body); err != nil {
					continue
				}
				var p *ingest.Pipeline
				if p, err = ingest.NewPipeline(w, ingest.Options{Source: "otlp"}); err != nil {
					continue
				}
				if _, err = Feed(ctx, p, "request", 0, req, Options{}); err != nil {
					continue
				}
				_, err = p.Close(ctx)
			}
			errs <- err
		}()
	}
	for _, body := range bodies {
		work <- body
	}
	close(work)
	for g := 0; g < senders; g++ {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}
