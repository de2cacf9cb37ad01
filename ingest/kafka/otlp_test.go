package kafka

import (
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/otlp"
)

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// otlpRequest is a binary request with one model call (carrying a planted
// secret in its prompt) and one span without a trace id.
func otlpRequest(t testing.TB) []byte {
	start := uint64(time.Now().Add(-time.Hour).UnixNano()) // inside any retention, whatever the date
	good := &tracepb.Span{
		TraceId: []byte("0123456789abcdef"), SpanId: []byte("01234567"), Name: "chat gpt-4o",
		StartTimeUnixNano: start, EndTimeUnixNano: start + 1e9,
		Attributes: []*commonpb.KeyValue{str("gen_ai.operation.name", "chat"), str("gen_ai.request.model", "gpt-4o"),
			str("gen_ai.prompt", "my key is AKIAGULIE3UUIYACESAC")},
	}
	bad := &tracepb.Span{TraceId: make([]byte, 16), SpanId: []byte("76543210"), Name: "chat", StartTimeUnixNano: start}
	b, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "support-bot"), str("service.version", "2.4.0")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{good, bad}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOTLPDecoder(t *testing.T) {
	cfg := Config{DeadLetterTopic: "dlq", Decoders: map[Format]ingest.Decoder{FormatOTLP: otlp.ProtobufFormat(otlp.Options{Fallback: otlp.Defaults{Tenant: "acme"}}).Decode}}
	b := testBatch(t, cfg, false)
	if err := b.feed(msg(string(otlpRequest(t)), "application/x-protobuf")); err != nil {
		t.Fatal(err)
	}
	if r := b.p.Summary().Rejected; r != 1 || len(b.dead) != 1 || len(b.errs) != 1 || b.errs[0].Line != 2 {
		t.Fatalf("rejected %d, dead %d, errs %v", r, len(b.dead), b.errs)
	}
	d := b.dead[0].msg
	if r := header(d, HeaderReason); !strings.Contains(r, "1 part(s) rejected; #2: span:") || header(d, HeaderLine) != "0" {
		t.Errorf("dead letter headers %v", d.Headers)
	}
	if strings.Contains(string(d.Value), "AKIAGULIE3UUIYACESAC") {
		t.Error("secret in the dead-lettered request")
	}

	garbage := testBatch(t, cfg, false)
	garbage.feed(msg("\xff\xff\xff\xff", "application/x-protobuf"))
	if len(garbage.dead) != 1 || !strings.Contains(header(garbage.dead[0].msg, HeaderReason), "otlp payload: otlp: malformed request") {
		t.Fatalf("garbage: %v", garbage.errs)
	}
}
