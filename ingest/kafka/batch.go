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
	"github.com/evalhouse/evalhouse/ingest/envelope"
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
	cfg     *Config
	formats *ingest.Registry
	red     *redact.Redactor
	ctx     context.Context // the store's; never canceled by shutdown
	p       *ingest.Pipeline
	refs    []lineRef // what the pipeline was fed, by the number it was fed with (1-based)
	dead    []deadRecord
	errs    []ingest.LineError // origins are topic/partition/offset
	msgs    int
	bytes   int  // payload bytes fed
	atFlush bool // rejections now are of rows the store refused at the flush
}

// lineRef is one line or decoded event fed to the pipeline, so that a
// rejection the pipeline reports later (a row the store refused at the
// flush) is dead-lettered with its own message: the pipeline is fed the
// ref's number, not the line within its message.
type lineRef struct {
	m    kafka.Message
	line int             // within the message; 0 for the whole message
	raw  []byte          // the line, or the payload of a whole message
	ev   *envelope.Event // a decoded event (redacted in place by the pipeline)
}

func newBatch(ctx context.Context, cfg *Config, w *ingest.Writer, opts ingest.Options) (*batch, error) {
	b := &batch{cfg: cfg, formats: cfg.formats(), red: opts.Redactor, ctx: ctx}
	opts.OnReject = b.onReject
	p, err := ingest.NewPipeline(w, opts)
	if err != nil {
		return nil, err
	}
	b.p = p
	return b, nil
}

// full says the batch has reached its message or byte bound.
func (b *batch) full() bool { return b.msgs >= b.cfg.BatchSize || b.bytes >= b.cfg.BatchBytes }

// feed passes one message through the pipeline. Rejections become
// dead-letter records; the error is only for what stops the batch (the
// store, when the pipeline flushes a full insert on its own): retryable.
func (b *batch) feed(m kafka.Message) error {
	b.msgs++
	b.bytes += len(m.Value)
	if len(m.Value) == 0 {
		return nil // a tombstone or empty message: nothing to store
	}
	f, err := b.format(m.Headers)
	if err != nil {
		b.rejectMessage(m, err.Error())
		return nil
	}
	origin := m.Topic + "/" + strconv.Itoa(m.Partition)
	if f.Decode == nil {
		b.rejectMessage(m, fmt.Sprintf("no decoder for %s payloads in this build", f.Name))
		return nil
	}
	if f.Lines {
		return b.feedLines(m, origin, f)
	}
	// A decoder's error is permanent (ingest.Decoder): the message would
	// fail again, so it is dead-lettered, not retried.
	d, err := safeDecode(f.Decode, m.Value)
	if err != nil {
		b.rejectMessage(m, fmt.Sprintf("%s payload: %v", f.Name, err))
		return nil
	}
	if len(d.Rejected) > 0 {
		b.rejectParts(m, f.Name, d.Rejected)
	}
	for i, ev := range d.Events {
		if ev == nil {
			continue
		}
		if err := b.p.Event(b.ctx, origin, b.ref(lineRef{m: m, line: i + 1, ev: ev}), ev); err != nil {
			return err
		}
	}
	return nil
}

// feedLines feeds a line-framed message line by line, through the one
// bounded splitter: a bad or overlong line is rejected alone.
func (b *batch) feedLines(m kafka.Message, origin string, f ingest.Format) error {
	lr := ingest.NewLineReader(bytes.NewReader(m.Value), origin)
	for {
		l, err := lr.Next()
		if err != nil {
			return nil // io.EOF: a bytes.Reader fails no other way
		}
		raw := append([]byte(nil), l.Raw...)
		n := b.ref(lineRef{m: m, line: l.N, raw: raw})
		if l.TooLong {
			b.p.Reject(origin, n, ingest.ErrLineTooLong.Error())
			continue
		}
		d, derr := safeDecode(f.Decode, raw)
		switch {
		case derr != nil:
			b.p.Reject(origin, n, derr.Error())
		case len(d.Events) == 1 && len(d.Rejected) == 0:
			err = b.p.Event(b.ctx, origin, n, d.Events[0])
		default:
			err = b.p.Feed(b.ctx, origin, n, d)
		}
		if err != nil {
			return err
		}
	}
}

// ref numbers what is about to be fed to the pipeline.
func (b *batch) ref(r lineRef) int {
	b.refs = append(b.refs, r)
	return len(b.refs)
}

// onReject is the pipeline's rejection hook: each rejection of what was
// just fed (or, atFlush, of a row the store refused when the batch was
// flushed) becomes a dead-letter record of its message.
func (b *batch) onReject(r ingest.Rejection) error {
	if r.Line < 1 || r.Line > len(b.refs) {
		return nil // a part of a message, dead-lettered whole by rejectParts
	}
	ref := b.refs[r.Line-1]
	payload := string(r.Raw)
	switch {
	case payload != "":
	case ref.ev != nil:
		// A rejected event was redacted in place first: its JSON is
		// safe to dead-letter, and replayable as an envelope line.
		j, err := json.Marshal(ref.ev)
		if err != nil {
			return fmt.Errorf("kafka: dead letter of %s/%d offset %d: %w", ref.m.Topic, ref.m.Partition, ref.m.Offset, err)
		}
		payload = redact.Scrub(b.red, string(j), nil)
	case ref.line > 0:
		payload = redact.Scrub(b.red, string(bytes.TrimRight(ref.raw, "\r\n")), nil)
	default: // a whole message, as it came
		payload = redact.Scrub(b.red, string(ref.raw), nil)
	}
	b.deadLetter(ref.m, ref.line, r.Reason, payload)
	if b.atFlush && len(b.dead) > 0 && b.cfg.DeadLetterTopic != "" {
		b.dead[len(b.dead)-1].atFlush = true
	}
	return nil
}

// rejectMessage dead-letters a whole message the pipeline never saw; the
// pipeline counts it, so that the batch's ingest_log row does.
func (b *batch) rejectMessage(m kafka.Message, reason string) {
	b.p.Reject(m.Topic+"/"+strconv.Itoa(m.Partition), b.ref(lineRef{m: m, raw: m.Value}), redact.Scrub(b.red, reason, nil))
}

// rejectParts counts the parts a decoder dropped, one error each, and
// dead-letters the message once with all their reasons: replaying it
// stores its good events again as duplicates, which the Writer drops.
func (b *batch) rejectParts(m kafka.Message, format string, rs []ingest.PartError) {
	var reason strings.Builder
	fmt.Fprintf(&reason, "%s payload: %d part(s) rejected", format, len(rs))
	for i, r := range rs {
		why := r.Reason
		if r.Part != "" {
			why = r.Part + ": " + r.Reason
		}
		if i < 5 {
			fmt.Fprintf(&reason, "; #%d: %s", r.Pos, why)
		}
		// Counted by the pipeline (and so in ingest_log), one each, at
		// line 0, which onReject leaves alone: the message is
		// dead-lettered once, below.
		b.p.Reject(m.Topic+"/"+strconv.Itoa(m.Partition), 0, redact.Scrub(b.red, why, nil))
		b.addError(m, r.Pos, redact.Scrub(b.red, why, nil))
	}
	if len(rs) > 5 {
		reason.WriteString("; …")
	}
	b.send(m, 0, redact.Scrub(b.red, reason.String(), nil), redact.Scrub(b.red, string(m.Value), nil))
}

// deadLetter records one rejection; payload is already redacted.
func (b *batch) deadLetter(m kafka.Message, line int, reason, payload string) {
	reason = redact.Scrub(b.red, reason, nil)
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
			h = append(h, kafka.Header{Key: "content-type", Value: []byte(redact.Scrub(b.red, string(oh.Value), nil))})
		}
	}
	if line > 0 {
		h = append(h, kafka.Header{Key: "content-type", Value: []byte("application/x-ndjson")})
	}
	var key []byte
	if len(m.Key) > 0 {
		key = []byte(redact.Scrub(b.red, string(m.Key), nil))
	}
	b.dead = append(b.dead, deadRecord{msg: kafka.Message{Key: key, Value: []byte(payload), Headers: h}, partition: m.Partition, offset: m.Offset})
}

// format picks a message's format from its content-type header (the
// registry's default without one).
func (b *batch) format(headers []kafka.Header) (ingest.Format, error) {
	ct := ""
	for _, h := range headers {
		if strings.EqualFold(h.Key, "content-type") {
			ct = string(h.Value)
			break
		}
	}
	f, mt, ok := b.formats.Lookup(ct)
	if !ok {
		if len(mt) > 64 {
			mt = mt[:64] + "…"
		}
		return f, fmt.Errorf("unsupported content-type %q (want %s)", mt, b.formats.Want())
	}
	return f, nil
}

// safeDecode runs a decoder, turning a panic on hostile input into a
// rejection: a message that crashed the consumer would crash it again on
// every restart.
func safeDecode(dec ingest.Decoder, payload []byte) (d ingest.Decoded, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = ingest.Decoded{}, ingest.NewPermanent(fmt.Errorf("decoder panicked: %v", r))
		}
	}()
	return dec(payload)
}
