package kafka

import (
	"strconv"
	"testing"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/redact"
)

// FuzzDecodePayload feeds arbitrary message payloads, under arbitrary
// content types, through a batch. Whatever the input, feeding never fails
// without a store, every rejection becomes exactly one dead-letter record
// with its origin and reason, and no record carries anything the redactor
// would still redact. Seeds are below and in testdata/fuzz/FuzzDecodePayload.
func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte(line(1)+"\n"+line(2)+"\n"), "", false)
	f.Add([]byte(`{"kind":"tool","args":{"token":"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"}`), "application/x-ndjson", true)
	f.Add([]byte("\x0a\x10\x12\x0eAKIAGULIE3UUIYACESAC"), "application/x-protobuf", false)
	// Seeds with a timestamp are stamped relative to now, so that they
	// take the same path on any date.
	model := func(id string) string {
		return `{"kind":"model","event_id":"` + id + `","trace_id":"t1","span_id":"s1","run_id":"r1","tenant":"acme","environment":"staging","release":"2.4.0","ts":"` + ts(0) +
			`","duration_ms":5,"status":"ok","model":"gpt-4o","prompt_version":"p7","input_ref":"blob://in","output_status":"ok","input_tokens":10,"output_tokens":3,"latency_ms":4}`
	}
	f.Add([]byte("\r\n\r\n"+model("e1")+"\r\n\n"), "application/x-ndjson", true)
	f.Add([]byte(model("e1")+"\n"+model("e2")+"\n"), "application/x-ndjson", false)
	f.Add([]byte(model("e1")+"\n"+`{"kind":"tool", "password": "hunter2hunter2"`+"\n"+model("e1")), "", false)
	f.Add([]byte(`{"kind":"tool","ts":"`+ts(0)+`","tool":"send","args":{"slack":"xoxb-7975052367-1974219895250-ZtDfsQlZ9m7GSzbdAW1HMYUF"}}`), "", true)
	red := redact.New(redact.DefaultConfig())
	f.Fuzz(func(t *testing.T, payload []byte, contentType string, strict bool) {
		cfg := Config{DeadLetterTopic: "events.dlq"}
		if len(payload) > 0 && payload[0]&1 == 1 {
			cfg.Decoders = map[Format]ingest.Decoder{FormatOTLP: fakeOTLP}
		}
		b := testBatch(t, cfg, strict)
		m := msg(string(payload), contentType)
		if err := b.feed(m); err != nil {
			t.Fatalf("feed: %v", err)
		}
		if sum := b.p.Summary(); len(b.dead) != sum.Rejected+sum.Expired {
			t.Fatalf("%d dead letters for %d rejections and %d expired", len(b.dead), sum.Rejected, sum.Expired)
		}
		for _, dr := range b.dead {
			d := dr.msg
			reason := header(d, HeaderReason)
			if reason == "" || header(d, HeaderOffset) != "41" || header(d, HeaderTopic) != "events" {
				t.Fatalf("headers %v", d.Headers)
			}
			if n, err := strconv.Atoi(header(d, HeaderLine)); err != nil || n < 0 {
				t.Fatalf("line header %q", header(d, HeaderLine))
			}
			if header(d, HeaderTruncated) == "" && red.String(string(d.Value), nil) != string(d.Value) {
				t.Fatalf("dead-letter payload not redacted: %q", d.Value)
			}
			if red.String(reason, nil) != reason {
				t.Fatalf("reason not redacted: %q", reason)
			}
		}
	})
}
