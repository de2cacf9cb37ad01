package kafka

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/segmentio/kafka-go"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/redact"
)

// Dead-letter record headers. Every record carries HeaderReason and the
// origin of the rejected input: topic, partition, offset and line (the
// 1-based line or event within the message; 0 when the whole message was
// rejected).
const (
	HeaderReason    = "evalhouse.reason"
	HeaderTopic     = "evalhouse.topic"
	HeaderPartition = "evalhouse.partition"
	HeaderOffset    = "evalhouse.offset"
	HeaderLine      = "evalhouse.line"
	HeaderGroup     = "evalhouse.group"
	// HeaderTruncated is "true" when the redacted payload was cut to
	// MaxDeadLetterBytes.
	HeaderTruncated = "evalhouse.truncated"
)

// MaxDeadLetterBytes bounds a dead-letter record's payload, so that a huge
// rejected message cannot exceed the broker's message size and block its
// partition; longer payloads are cut (after redaction) and marked.
const MaxDeadLetterBytes = 256 << 10

// batch is the unit of durability: the messages fed into one pipeline,
// made durable by one Close (one ingest_log row), then committed. It
// collects the dead-letter records of what it rejected; they are written
// before the commit.
type batch struct {
	cfg   *Config
	red   *redact.Redactor
	ctx   context.Context // the store's; never canceled by shutdown
	p     *ingest.Pipeline
	rec   capture
	dead  []deadRecord
	errs  []ingest.LineError // origins are topic/partition/offset
	msgs  int
	bytes int // payload bytes fed
}

func newBatch(ctx context.Context, cfg *Config, w *ingest.Writer, opts ingest.Options) (*batch, error) {
	b := &batch{cfg: cfg, red: opts.Redactor, ctx: ctx}
	opts.DeadLetter = &b.rec
	p, err := ingest.NewPipeline(w, opts)
	if err != nil {
		return nil, err
	}
	b.p = p
	return b, nil
}

// full says the batch has reached its message or byte bound.
func (b *batch) full() bool { return b.msgs >= b.cfg.BatchSize || b.bytes >= b.cfg.BatchBytes }

// capture receives the pipeline's dead-letter record for the line or event
// just fed (one JSON object: origin, line, reason, raw redacted).
type capture struct{ buf []byte }

func (c *capture) Write(b []byte) (int, error) { c.buf = append(c.buf, b...); return len(b), nil }

// feed passes one message through the pipeline. Rejections become
// dead-letter records; the error is only for what stops the batch (the
// store, when the pipeline flushes a full insert on its own).
func (b *batch) feed(m kafka.Message) error {
	b.msgs++
	b.bytes += len(m.Value)
	if len(m.Value) == 0 {
		return nil // a tombstone or empty message: nothing to store
	}
	format, err := payloadFormat(m.Headers, b.cfg.Format)
	if err != nil {
		b.rejectMessage(m, err.Error())
		return nil
	}
	origin := m.Topic + "/" + strconv.Itoa(m.Partition)
	if format == FormatNDJSON {
		return b.feedNDJSON(m, origin)
	}
	dec := b.cfg.Decoders[format]
	if dec == nil {
		b.rejectMessage(m, fmt.Sprintf("no decoder for %s payloads in this build", format))
		return nil
	}
	d, err := safeDecode(dec, m.Value)
	if err != nil {
		b.rejectMessage(m, fmt.Sprintf("%s payload: %v", format, err))
		return nil
	}
	if len(d.Rejected) > 0 {
		b.rejectParts(m, format, d.Rejected)
	}
	for i, ev := range d.Events {
		if ev == nil {
			continue
		}
		if err := b.p.Event(b.ctx, origin, i+1, ev); err != nil {
			return err
		}
		// A rejected event was redacted in place first: its JSON is safe
		// to dead-letter, and replayable as an envelope line.
		b.collect(m, i+1, func() string { j, _ := json.Marshal(ev); return string(j) })
	}
	return nil
}

func (b *batch) feedNDJSON(m kafka.Message, origin string) error {
	rest := m.Value
	for line := 1; len(rest) > 0; line++ {
		var ln []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			ln, rest = rest[:i+1], rest[i+1:]
		} else {
			ln, rest = rest, nil
		}
		if len(ln) > ingest.MaxLine {
			reason := fmt.Sprintf("line longer than %d bytes", ingest.MaxLine)
			b.count(m, line, reason)
			b.deadLetter(m, line, reason, b.red.String(string(ln), nil))
			continue
		}
		if err := b.p.Line(b.ctx, origin, line, ln); err != nil {
			return err
		}
		b.collect(m, line, nil)
	}
	return nil
}

// collect turns the pipeline's rejection of the line or event just fed, if
// any, into a dead-letter record. raw supplies the payload when the
// pipeline had no raw line (decoded events).
func (b *batch) collect(m kafka.Message, line int, raw func() string) {
	if len(b.rec.buf) == 0 {
		return
	}
	var rec struct {
		Reason string `json:"reason"`
		Raw    string `json:"raw"`
	}
	json.Unmarshal(b.rec.buf, &rec)
	b.rec.buf = b.rec.buf[:0]
	payload := rec.Raw
	if payload == "" && raw != nil {
		payload = b.red.String(raw(), nil)
	}
	b.deadLetter(m, line, rec.Reason, payload)
}

// rejectMessage dead-letters a whole message the pipeline never saw.
func (b *batch) rejectMessage(m kafka.Message, reason string) {
	b.count(m, 0, reason)
	b.deadLetter(m, 0, reason, b.red.String(string(m.Value), nil))
}

// count has the pipeline count a rejection it did not see itself (a whole
// message, an oversized line, a part a decoder dropped), so that the
// batch's ingest_log row counts what the source reports. The pipeline's own
// dead-letter record of it is dropped: the caller writes one.
func (b *batch) count(m kafka.Message, line int, reason string) {
	b.p.Reject(m.Topic+"/"+strconv.Itoa(m.Partition), line, b.red.String(reason, nil))
	b.rec.buf = b.rec.buf[:0]
}

// rejectParts counts the parts a decoder dropped, one error each, and
// dead-letters the message once with all their reasons: replaying it
// stores its good events again as duplicates, which the Writer drops.
func (b *batch) rejectParts(m kafka.Message, format Format, rs []Rejection) {
	var reason strings.Builder
	fmt.Fprintf(&reason, "%s payload: %d part(s) rejected", format, len(rs))
	for i, r := range rs {
		if i < 5 {
			fmt.Fprintf(&reason, "; #%d: %s", r.Pos, r.Reason)
		}
		b.count(m, r.Pos, r.Reason)
		b.addError(m, r.Pos, b.red.String(r.Reason, nil))
	}
	if len(rs) > 5 {
		reason.WriteString("; …")
	}
	b.send(m, 0, b.red.String(reason.String(), nil), b.red.String(string(m.Value), nil))
}

// deadLetter records one rejection; payload is already redacted.
func (b *batch) deadLetter(m kafka.Message, line int, reason, payload string) {
	reason = b.red.String(reason, nil)
	b.addError(m, line, reason)
	b.send(m, line, reason, payload)
}

// addError keeps a rejection for the summary, origin topic/partition/offset.
func (b *batch) addError(m kafka.Message, line int, reason string) {
	if len(b.errs) < ingest.MaxErrors {
		b.errs = append(b.errs, ingest.LineError{Origin: fmt.Sprintf("%s/%d/%d", m.Topic, m.Partition, m.Offset), Line: line, Reason: reason})
	}
}

// send queues a dead-letter record, when there is a dead-letter topic;
// reason and payload are already redacted.
func (b *batch) send(m kafka.Message, line int, reason, payload string) {
	if b.cfg.DeadLetterTopic == "" {
		return
	}
	h := []kafka.Header{
		{Key: HeaderReason, Value: []byte(reason)},
		{Key: HeaderTopic, Value: []byte(m.Topic)},
		{Key: HeaderPartition, Value: []byte(strconv.Itoa(m.Partition))},
		{Key: HeaderOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
		{Key: HeaderLine, Value: []byte(strconv.Itoa(line))},
		{Key: HeaderGroup, Value: []byte(b.cfg.Group)},
	}
	if len(payload) > MaxDeadLetterBytes {
		payload = payload[:MaxDeadLetterBytes]
		h = append(h, kafka.Header{Key: HeaderTruncated, Value: []byte("true")})
	}
	for _, oh := range m.Headers {
		if strings.EqualFold(oh.Key, "content-type") && line == 0 {
			h = append(h, kafka.Header{Key: "content-type", Value: oh.Value})
		}
	}
	if line > 0 {
		h = append(h, kafka.Header{Key: "content-type", Value: []byte("application/x-ndjson")})
	}
	var key []byte
	if len(m.Key) > 0 {
		key = []byte(b.red.String(string(m.Key), nil))
	}
	b.dead = append(b.dead, deadRecord{msg: kafka.Message{Key: key, Value: []byte(payload), Headers: h}, partition: m.Partition, offset: m.Offset})
}

// payloadFormat picks a message's format from its content-type header,
// falling back to def.
func payloadFormat(headers []kafka.Header, def Format) (Format, error) {
	for _, h := range headers {
		if !strings.EqualFold(h.Key, "content-type") {
			continue
		}
		mt := string(h.Value)
		if i := strings.IndexByte(mt, ';'); i >= 0 {
			mt = mt[:i]
		}
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "":
			return def, nil
		case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/json":
			return FormatNDJSON, nil
		case "application/x-protobuf", "application/protobuf":
			return FormatOTLP, nil
		}
		if len(mt) > 64 {
			mt = mt[:64] + "…"
		}
		return "", fmt.Errorf("unsupported content-type %q (want application/x-ndjson or application/x-protobuf)", mt)
	}
	return def, nil
}

// safeDecode runs a decoder, turning a panic on hostile input into a
// rejection: a message that crashed the consumer would crash it again on
// every restart.
func safeDecode(dec Decoder, payload []byte) (d Decoded, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = Decoded{}, fmt.Errorf("decoder panicked: %v", r)
		}
	}()
	return dec(payload)
}
