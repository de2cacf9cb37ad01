package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// Decoder turns one payload into events: an HTTP body, a Kafka message, a
// document of a file, or, for a line-framed Format, one line. The caller
// owns what it returns (the pipeline redacts events in place); the decoder
// must not keep payload. An error rejects the whole payload and is
// permanent (see NewPermanent): the same payload fails again. Error and
// rejection texts must not quote the payload.
type Decoder func(payload []byte) (Decoded, error)

// Decoded is what a Decoder made of one payload.
type Decoded struct {
	// Events are passed to the pipeline (which may still reject each one).
	Events []*envelope.Event
	// Rejected are parts of the payload (spans) that became no event.
	Rejected []PartError
	// Parts is how many parts the payload held (spans), when they are not
	// simply Events: what a reply counts rejections against.
	Parts int
}

// PartError says why one part of a payload (a span) became no event.
type PartError struct {
	Part   string // what a part is: "span"
	Pos    int    // 1-based position of the part in the payload
	ID     string // the part's identifiers, e.g. "trace …, span …"; may be ""
	Reason string // never quotes the payload
}

func (e PartError) Error() string {
	if e.ID == "" {
		return fmt.Sprintf("%s %d: %s", e.Part, e.Pos, e.Reason)
	}
	return fmt.Sprintf("%s %d (%s): %s", e.Part, e.Pos, e.ID, e.Reason)
}

// Format is one encoding of events, the same whichever transport carries
// it (a file, an HTTP body, a Kafka message).
type Format struct {
	// Name names the format in messages ("ndjson", "otlp", …).
	Name string
	// Source is the agent_events.source of its events ("envelope", "otlp").
	Source string
	// Lines says a payload is lines, each decoded alone by Decode: a bad
	// line is rejected with its number, and the others go on.
	Lines bool
	// Decode decodes one payload (one line, when Lines).
	Decode Decoder
	// Read, when set, reads a whole file or stream of the format through
	// a pipeline, for formats that are not payloads (Parquet) or whose
	// files are shaped otherwise (OTLP JSON files); nil reads a stream as
	// lines (Lines) or as one payload.
	Read func(ctx context.Context, p *Pipeline, origin string, r io.Reader) error
}

// Envelope is evalhouse's own format: envelope events, one JSON object a
// line (docs/envelope.md).
var Envelope = Format{Name: "ndjson", Source: "envelope", Lines: true, Decode: DecodeEnvelope}

// DecodeEnvelope decodes one envelope line; a blank line is no event.
func DecodeEnvelope(line []byte) (Decoded, error) {
	if isBlank(line) {
		return Decoded{}, nil
	}
	ev, err := envelope.Decode(line)
	if err != nil {
		return Decoded{}, NewPermanent(err)
	}
	return Decoded{Events: []*envelope.Event{ev}}, nil
}

// MediaType is a Content-Type without its parameters, trimmed, with ASCII
// letters lower-cased ("" for none); other bytes are kept as they are, so
// the result is never longer than ct. It is the one media-type parser of
// every transport (HTTP Content-Type, Kafka content-type headers).
func MediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	b := []byte(ct)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Registry maps media types to Formats: what a transport accepts. It is
// built once, at start, and read concurrently after.
type Registry struct {
	types     map[string]Format
	preferred []string
	def       *Format
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{types: map[string]Format{}} }

// Register accepts f under mediaTypes (lower-case, without parameters);
// the first is the one Want names. It returns r.
func (r *Registry) Register(f Format, mediaTypes ...string) *Registry {
	for i, mt := range mediaTypes {
		if i == 0 {
			r.preferred = append(r.preferred, mt)
		}
		r.types[mt] = f
	}
	return r
}

// Default makes f what a payload without a media type is read as.
func (r *Registry) Default(f Format) *Registry {
	r.def = &f
	return r
}

// Lookup returns the format of contentType (parsed by MediaType), and its
// media type. An empty one is the default, if there is one. ok is false
// for a media type not registered.
func (r *Registry) Lookup(contentType string) (f Format, mediaType string, ok bool) {
	mt := MediaType(contentType)
	if mt == "" && r.def != nil {
		return *r.def, mt, true
	}
	f, ok = r.types[mt]
	return f, mt, ok
}

// Want names the preferred media types, "a or b", for messages.
func (r *Registry) Want() string { return strings.Join(r.preferred, " or ") }

// Feed passes what a decoder made of one payload through p: first its
// rejected parts, then its events. With line > 0 (a line of a file or
// message) all are numbered by that line; otherwise events are numbered
// from 1 and parts by their position. The error is only for what stops
// the ingest (the store, a dead-letter write, ctx).
func (p *Pipeline) Feed(ctx context.Context, origin string, line int, d Decoded) error {
	for _, e := range d.Rejected {
		n := line
		if n <= 0 {
			n = e.Pos
		}
		p.reject(origin, n, nil, e.Error())
	}
	for i, ev := range d.Events {
		n := line
		if n <= 0 {
			n = i + 1
		}
		if ev == nil {
			continue
		}
		if err := p.event(ctx, origin, n, nil, ev); err != nil {
			return err
		}
	}
	return p.dlErr
}

// Payload decodes one payload of format f and passes it through p: by
// lines when f.Lines (a bad line is rejected and the rest go on), else
// whole. The pipeline's Source is the caller's to set (the transport's,
// or f.Source). The error is permanent (NewPermanent) when the payload does not
// decode, and otherwise what stops the ingest (the store, ctx).
func (p *Pipeline) Payload(ctx context.Context, origin string, f Format, payload []byte) (Decoded, error) {
	if f.Lines {
		return Decoded{}, p.ReadLines(ctx, origin, bytes.NewReader(payload), f)
	}
	d, err := f.Decode(payload)
	if err != nil {
		return d, NewPermanent(err)
	}
	return d, p.Feed(ctx, origin, 0, d)
}
