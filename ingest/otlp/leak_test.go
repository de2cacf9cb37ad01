package otlp

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/evalhouse/evalhouse/ingest/leaktest"
)

// TestSecretsInOTLPKeysAndNames posts, through /v1/traces, a trace whose
// resource, span, event and link attribute keys, span name, event name and
// status message are fake secrets, and a span whose id is a Luhn-valid
// number: nothing planted is stored or answered, the keys become numbered
// markers, and the span id comes through byte for byte. A body whose
// start time is a token (the decoder's error quotes it) is refused without quoting it.
func TestSecretsInOTLPKeysAndNames(t *testing.T) {
	const (
		ghRes   = "ghp_R1e2s3o4u5r6c7e8K9e0y1A2b3C4d5E6f7G8"
		ghSpan  = "ghp_S1p2a3n4K5e6y7A8b9C0d1E2f3G4h5I6j7K8"
		ghName  = "ghp_N1a2m3e4A5b6C7d8E9f0G1h2I3j4K5l6M7n8"
		awsEv   = "AKIAEVENTNAMEKEY0001"
		awsEvK  = "AKIAEVENTATTRKEY0002"
		awsLink = "AKIALINKATTRKEY00003"
		awsStat = "AKIASTATUSMESSAGE004"
		ghBody  = "ghp_B1o2d3y4F5i6e7l8d9A0b1C2d3E4f5G6h7I8"
	)
	planted := []string{ghRes, ghSpan, ghName, awsEv, awsEvK, awsLink, awsStat, ghBody}
	s := newStore(t)
	url := serveOTLP(t, s, Config{}).URL + "/v1/traces"
	spanID, _ := hex.DecodeString("4111111111111111") // Luhn-valid, all digits
	start := uint64(time.Now().Add(-time.Hour).UnixNano())
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{kv("service.name", "bot"), kv(ghRes, "resource value")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: []byte("0123456789abcdef"), SpanId: spanID, Name: "chat " + ghName,
			StartTimeUnixNano: start, EndTimeUnixNano: start + 5e6,
			Attributes: []*commonpb.KeyValue{kv("gen_ai.operation.name", "chat"), kv("gen_ai.request.model", "gpt-4o"), kv(ghSpan, "span value")},
			Events: []*tracepb.Span_Event{{Name: "retry " + awsEv, TimeUnixNano: start + 1,
				Attributes: []*commonpb.KeyValue{kv(awsEvK, "event value")}}},
			Links: []*tracepb.Span_Link{{TraceId: []byte("fedcba9876543210"), SpanId: []byte("76543210"),
				Attributes: []*commonpb.KeyValue{kv(awsLink, "link value")}}},
			Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "failed with " + awsStat},
		}}}},
	}}}
	r := postOTLP(t, url, "application/json", otlpJSON(t, req))
	if r.code != 200 {
		t.Fatalf("POST: %d %s", r.code, r.body)
	}
	bad := postOTLP(t, url, "application/json", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"`+ghBody+`"}]}]}]}`))
	if bad.code != 400 || !strings.Contains(bad.status(t).GetMessage(), "[REDACTED:github_token]") {
		t.Errorf("bad start time: %d %s", bad.code, bad.body)
	}
	stored := leaktest.Stored(t, s.Conn)
	leaktest.Absent(t, planted, map[string]string{"the store": stored, "the answer": string(r.body), "the 400 answer": string(bad.body)})
	for _, want := range []string{`"[REDACTED:github_token#1]":"resource value"`, `"[REDACTED:github_token#1]":"span value"`,
		`"[REDACTED:aws_key#1]":"event value"`, `"[REDACTED:aws_key#1]":"link value"`, `"otel.span.name":"chat [REDACTED:github_token]"`,
		`"name":"retry [REDACTED:aws_key]"`, `"otel.status_description":"failed with [REDACTED:aws_key]"`} {
		if !strings.Contains(stored, want) {
			t.Errorf("the store lacks %s:\n%s", want, stored)
		}
	}
	if n := count(t, s, "SELECT count() FROM agent_events WHERE span_id = '4111111111111111' AND event_id = ?", hex.EncodeToString([]byte("0123456789abcdef"))+"4111111111111111"); n != 1 {
		t.Errorf("span_id or event_id altered:\n%s", stored)
	}
}
