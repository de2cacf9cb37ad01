package kafka

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/ingest/redact"
)

// fakeOTLP stands in for an OTLP decoder: it decodes envelope lines, and
// fails or panics on request.
func fakeOTLP(payload []byte) (ingest.Decoded, error) {
	switch {
	case bytes.HasPrefix(payload, []byte("PANIC")):
		var m map[string]int
		m["x"]++ // nil map write
	case bytes.HasPrefix(payload, []byte("FAIL")):
		return ingest.Decoded{}, errors.New("proto: cannot parse invalid wire-format data")
	}
	var d ingest.Decoded
	for _, ln := range bytes.Split(payload, []byte("\n")) {
		if len(bytes.TrimSpace(ln)) == 0 {
			continue
		}
		ev, err := envelope.Decode(ln)
		if err != nil {
			return ingest.Decoded{}, err
		}
		d.Events = append(d.Events, ev)
	}
	return d, nil
}

// testBatch returns a batch whose pipeline never flushes, so it needs no
// store: what it accepted stays pending, what it rejected is dead-lettered.
func testBatch(t testing.TB, cfg Config, strict bool) *batch {
	t.Helper()
	if cfg.Group == "" {
		cfg.Group = "g"
	}
	cfg = cfg.withDefaults()
	opts := ingest.Options{Strict: strict, Redactor: redact.New(redact.DefaultConfig()), BatchSize: 1 << 30, Source: "kafka", Urgent: true}
	b, err := newBatch(context.Background(), &cfg, ingest.NewWriter(nil, 0, 0), opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func msg(value string, contentType string) kafka.Message {
	m := kafka.Message{Topic: "events", Partition: 2, Offset: 41, Value: []byte(value)}
	if contentType != "" {
		m.Headers = []kafka.Header{{Key: "content-type", Value: []byte(contentType)}}
	}
	return m
}

func TestFeed(t *testing.T) {
	const secret = "AKIAGULIE3UUIYACESAC"
	contractBreak := `{"kind":"tool","event_id":"x1","ts":"` + time.Now().UTC().Add(-time.Hour).Format(time.RFC3339) + `","tool":"t","args":{"key":"` + secret + `"}}`
	cases := []struct {
		name        string
		cfg         Config
		strict      bool
		m           kafka.Message
		dead        int
		line        string // HeaderLine of the first record
		reason      string
		contentType string
	}{
		{name: "ndjson with parameters", m: msg(line(1)+"\n"+line(2), "application/x-ndjson; charset=utf-8")},
		{name: "blank lines and CRLF", m: msg("\r\n"+line(1)+"\r\n\n", "")},
		{name: "otlp by header", cfg: Config{Decoders: map[Format]ingest.Decoder{FormatOTLP: fakeOTLP}}, m: msg(line(1), "application/x-protobuf")},
		{name: "otlp by default", cfg: Config{Format: FormatOTLP, Decoders: map[Format]ingest.Decoder{FormatOTLP: fakeOTLP}}, m: msg(line(1), "")},
		{name: "otlp without decoder", m: msg("\x0a\x02"+secret, "application/x-protobuf"), dead: 1, line: "0", reason: "no decoder for otlp", contentType: "application/x-protobuf"},
		{name: "decoder error", cfg: Config{Decoders: map[Format]ingest.Decoder{FormatOTLP: fakeOTLP}}, m: msg("FAIL "+secret, "application/protobuf"), dead: 1, line: "0", reason: "otlp payload: proto: cannot parse"},
		{name: "decoder panic", cfg: Config{Decoders: map[Format]ingest.Decoder{FormatOTLP: fakeOTLP}}, m: msg("PANIC", "application/x-protobuf"), dead: 1, line: "0", reason: "decoder panicked"},
		{name: "strict rejects a decoded event", cfg: Config{Decoders: map[Format]ingest.Decoder{FormatOTLP: fakeOTLP}}, strict: true,
			m: msg(line(1)+"\n"+contractBreak, "application/x-protobuf"), dead: 1, line: "2", reason: "trace contract", contentType: "application/x-ndjson"},
		{name: "strict rejects a line", strict: true, m: msg(contractBreak+"\n"+line(1), ""), dead: 1, line: "1", reason: "trace contract"},
		{name: "not strict keeps a violation", m: msg(contractBreak, "")},
		{name: "unknown content type", m: msg("a,b", "text/csv"), dead: 1, line: "0", reason: `unsupported content-type "text/csv"`, contentType: "text/csv"},
		{name: "tombstone", m: msg("", "")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.DeadLetterTopic = "events.dlq"
			b := testBatch(t, c.cfg, c.strict)
			if err := b.feed(c.m); err != nil {
				t.Fatal(err)
			}
			if len(b.dead) != c.dead {
				t.Fatalf("%d dead letters, want %d: %v", len(b.dead), c.dead, b.errs)
			}
			if sum := b.p.Summary(); sum.Rejected != c.dead {
				t.Errorf("rejected %d, want %d", sum.Rejected, c.dead)
			}
			if c.dead == 0 {
				return
			}
			d := b.dead[0].msg
			if header(d, HeaderLine) != c.line || !strings.Contains(header(d, HeaderReason), c.reason) ||
				header(d, HeaderOffset) != "41" || header(d, HeaderPartition) != "2" || header(d, HeaderTopic) != "events" {
				t.Errorf("headers %v", d.Headers)
			}
			if c.contentType != "" && header(d, "content-type") != c.contentType {
				t.Errorf("content-type %q, want %q", header(d, "content-type"), c.contentType)
			}
			if strings.Contains(string(d.Value), secret) || strings.Contains(header(d, HeaderReason), secret) {
				t.Errorf("secret in dead letter: %q", d.Value)
			}
			if b.errs[0].Origin != "events/2/41" {
				t.Errorf("origin %q", b.errs[0].Origin)
			}
		})
	}
}

func TestDeadLetterTruncated(t *testing.T) {
	b := testBatch(t, Config{DeadLetterTopic: "dlq"}, false)
	big := strings.Repeat("x", MaxDeadLetterBytes+100)
	b.feed(msg(big, "text/csv"))
	if len(b.dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(b.dead))
	}
	if d := b.dead[0].msg; len(d.Value) != MaxDeadLetterBytes || header(d, HeaderTruncated) != "true" {
		t.Fatalf("value %d bytes, headers %v", len(d.Value), d.Headers)
	}
}

func TestNoDeadLetterTopic(t *testing.T) {
	b := testBatch(t, Config{}, false)
	b.feed(msg("{broken", ""))
	if len(b.dead) != 0 || len(b.errs) != 1 || b.p.Summary().Rejected != 1 {
		t.Fatalf("dead %d, errs %v", len(b.dead), b.errs)
	}
}

func TestBatchBounds(t *testing.T) {
	b := testBatch(t, Config{BatchSize: 1000, BatchBytes: 1 << 10}, false)
	for i := 0; !b.full(); i++ {
		if i == 10 {
			t.Fatalf("not full after %d messages, %d bytes", b.msgs, b.bytes)
		}
		b.feed(msg(line(i), ""))
	}
	if b.msgs != 3 || b.bytes < 1<<10 {
		t.Errorf("full at %d messages, %d bytes; want 3 messages over 1 KiB", b.msgs, b.bytes)
	}
	b = testBatch(t, Config{BatchSize: 2}, false)
	b.feed(msg(line(1), ""))
	if b.full() {
		t.Error("full at 1 of 2 messages")
	}
	b.feed(msg("", "")) // tombstones count as messages
	if !b.full() {
		t.Error("not full at 2 of 2 messages")
	}
}
