package otlp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"

	"github.com/evalhouse/evalhouse/ingest"
)

// Feed maps req and passes its events through p (ingest.Pipeline.Feed):
// its unusable and unattached spans are rejected, each named by its
// position (or line, for a file of one request per line: line > 0), then
// its events go on. The error is only for what stops the ingest (the
// store, ctx).
func Feed(ctx context.Context, p *ingest.Pipeline, origin string, line int, req *coltracepb.ExportTraceServiceRequest, opts Options) (Result, error) {
	res := Map(req, opts)
	return res, p.Feed(ctx, origin, line, decoded(res))
}

// Format is an OTLP file's encoding.
type Format int

// The file formats.
const (
	FormatNone     Format = iota // not an OTLP file
	FormatJSON                   // OTLP/JSON: one request, or one per line
	FormatProtobuf               // one binary ExportTraceServiceRequest
)

// FileFormat tells an OTLP file by its name: *.otlp.json or *.otlp.jsonl
// (JSON), *.otlp.pb or *.otlp.binpb (protobuf), each optionally .gz.
func FileFormat(name string) Format {
	n := strings.TrimSuffix(strings.ToLower(name), ".gz")
	switch {
	case strings.HasSuffix(n, ".otlp.json"), strings.HasSuffix(n, ".otlp.jsonl"):
		return FormatJSON
	case strings.HasSuffix(n, ".otlp.pb"), strings.HasSuffix(n, ".otlp.binpb"):
		return FormatProtobuf
	}
	return FormatNone
}

// maxDoc bounds a whole-file document (a protobuf file, or a JSON file
// that is not one request per line).
const maxDoc = 1 << 30

// FileStats is what ReadFile did with one file.
type FileStats struct {
	Requests, Spans, Mapped, Folded, Unattached, Rejected int
	// BadRequests counts JSON lines (or documents) that did not decode.
	BadRequests int
}

// Reader returns a function that reads an OTLP file of format f through a
// pipeline (ReadFile): the Read of ProtobufFormat and JSONFormat. Rejected
// spans and undecodable or overlong lines are rejected through the
// pipeline (counted, named, dead-lettered); a per-file summary is written
// to warn (nil discards).
func Reader(f Format, opts Options, warn io.Writer) func(ctx context.Context, p *ingest.Pipeline, origin string, r io.Reader) error {
	return func(ctx context.Context, p *ingest.Pipeline, origin string, r io.Reader) error {
		_, err := ReadFile(ctx, p, origin, r, f, opts, warn)
		return err
	}
}

// ReadFile feeds an OTLP export file through p. A JSON file holds one
// ExportTraceServiceRequest (or several, concatenated) or one per line
// (the collector's file exporter); a line that does not decode is
// reported and skipped. A protobuf file holds one request. The error is
// for what stops the file: the store, the reader, an undecodable document.
func ReadFile(ctx context.Context, p *ingest.Pipeline, origin string, r io.Reader, f Format, opts Options, warn io.Writer) (FileStats, error) {
	if warn == nil {
		warn = io.Discard
	}
	var st FileStats
	feedReq := func(line int, req *coltracepb.ExportTraceServiceRequest) error {
		res, err := Feed(ctx, p, origin, line, req, opts)
		st.Requests++
		st.Spans += res.Spans
		st.Mapped += res.Mapped
		st.Folded += res.Folded
		st.Unattached += len(res.Unattached)
		st.Rejected += len(res.Rejected)
		return err
	}
	var err error
	if f == FormatProtobuf {
		err = readProtobuf(r, feedReq)
	} else {
		err = readJSON(r, origin, p, &st, feedReq)
	}
	fmt.Fprintf(warn, "%s: OTLP: %d span(s) in %d request(s): %d mapped to events, %d folded into their run (%d with no run in the file: not stored), %d rejected; %d request line(s) rejected\n",
		origin, st.Spans, st.Requests, st.Mapped, st.Folded, st.Unattached, st.Rejected, st.BadRequests)
	return st, err
}

func readProtobuf(r io.Reader, feed func(int, *coltracepb.ExportTraceServiceRequest) error) error {
	b, err := io.ReadAll(io.LimitReader(r, maxDoc+1))
	if err != nil {
		return err
	}
	if len(b) > maxDoc {
		return fmt.Errorf("otlp: file over %d bytes", maxDoc)
	}
	req, err := DecodeProtobuf(b)
	if err != nil {
		return err
	}
	return feed(0, req)
}

// readJSON reads JSON lines when the first non-blank line is a JSON value
// on its own, else the whole file as a stream of JSON values.
func readJSON(r io.Reader, origin string, p *ingest.Pipeline, st *FileStats, feed func(int, *coltracepb.ExportTraceServiceRequest) error) error {
	lr := ingest.NewLineReader(r, origin)
	var read []byte // what the sniff consumed, for a document
	var first ingest.Line
	for {
		l, err := lr.Next()
		if err == io.EOF {
			return nil // empty file
		}
		if err != nil {
			return err
		}
		if l.TooLong {
			return fmt.Errorf("%s:%d: %w: not an OTLP/JSON file of one request per line", origin, l.N, ingest.ErrLineTooLong)
		}
		read = append(read, l.Raw...)
		if len(bytes.TrimSpace(l.Raw)) > 0 {
			first = l
			first.Raw = read[len(read)-len(l.Raw):]
			break
		}
	}
	if !json.Valid(bytes.TrimSpace(first.Raw)) {
		return readDocument(io.MultiReader(bytes.NewReader(read), lr.Rest()), feed)
	}
	for l := first; ; {
		switch t := bytes.TrimSpace(l.Raw); {
		case l.TooLong:
			st.BadRequests++
			p.Reject(origin, l.N, ingest.ErrLineTooLong.Error())
		case len(t) > 0:
			req, derr := DecodeJSON(t)
			if derr != nil {
				st.BadRequests++
				p.Reject(origin, l.N, "request rejected: "+derr.Error())
			} else if ferr := feed(l.N, req); ferr != nil {
				return ferr
			}
		}
		var err error
		if l, err = lr.Next(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// readDocument decodes a stream of JSON values, each one request.
func readDocument(r io.Reader, feed func(int, *coltracepb.ExportTraceServiceRequest) error) error {
	dec := json.NewDecoder(io.LimitReader(r, maxDoc))
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: json: %v", ErrMalformed, err)
		}
		req, err := DecodeJSON(raw)
		if err != nil {
			return err
		}
		if err := feed(0, req); err != nil {
			return err
		}
	}
}
