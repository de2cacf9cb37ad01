package kafka

import (
	"strconv"
	"testing"

	"github.com/evalhouse/evalhouse/ingest/redact"
)

// FuzzDecodePayload feeds arbitrary message payloads, under arbitrary
// content types, through a batch. Whatever the input, feeding never fails
// without a store, every rejection becomes exactly one dead-letter record
// with its origin and reason, and no record carries anything the redactor
// would still redact. Seeds live in testdata/fuzz/FuzzDecodePayload.
func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte(line(1)+"\n"+line(2)+"\n"), "", false)
	f.Add([]byte(`{"kind":"tool","args":{"token":"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"}`), "application/x-ndjson", true)
	f.Add([]byte("\x0a\x10\x12\x0eAKIAGULIE3UUIYACESAC"), "application/x-protobuf", false)
	red := redact.New(redact.DefaultConfig())
	f.Fuzz(func(t *testing.T, payload []byte, contentType string, strict bool) {
		cfg := Config{DeadLetterTopic: "events.dlq"}
		if len(payload) > 0 && payload[0]&1 == 1 {
			cfg.Decoders = map[Format]Decoder{FormatOTLP: fakeOTLP}
		}
		b := testBatch(t, cfg, strict)
		m := msg(string(payload), contentType)
		if err := b.feed(m); err != nil {
			t.Fatalf("feed: %v", err)
		}
		if got, want := len(b.dead), b.p.Summary().Rejected+b.rejected; got != want {
			t.Fatalf("%d dead letters for %d rejections", got, want)
		}
		for _, d := range b.dead {
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
