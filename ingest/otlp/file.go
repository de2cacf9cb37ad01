package otlp

import (
	"bufio"
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

// Feed maps req and passes its events through p, numbered from 1 in the
// pipeline's errors under origin (line > 0 numbers them all by that line
// instead). The error is only for what stops the ingest (the store, ctx).
func Feed(ctx context.Context, p *ingest.Pipeline, origin string, line int, req *coltracepb.ExportTraceServiceRequest, opts Options) (Result, error) {
	res := Map(req, opts)
	RejectSpans(p, origin, line, res)
	for i, ev := range res.Events {
		n := line
		if n <= 0 {
			n = i + 1
		}
		if err := p.Event(ctx, origin, n, ev); err != nil {
			return res, err
		}
	}
	return res, nil
}

// RejectSpans records in p every span of res that is not stored: the
// unusable ones and those with nothing to be stored with (Unattached),
// each named by its position (or line, for a file of one request per line).
func RejectSpans(p *ingest.Pipeline, origin string, line int, res Result) {
	for _, list := range [][]SpanError{res.Rejected, res.Unattached} {
		for _, e := range list {
			n := line
			if n <= 0 {
				n = e.Pos
			}
			p.Reject(origin, n, fmt.Sprintf("span %d (trace %s, span %s): %s", e.Pos, e.TraceID, e.SpanID, e.Reason))
		}
	}
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

// Reader returns a function that reads an OTLP file of format f through p,
// shaped like ingest.Pipeline.ReadNDJSON. Rejected spans and undecodable
// or overlong lines are rejected through p (counted, named, dead-lettered); a per-file
// summary is written to warn (nil discards).
func Reader(p *ingest.Pipeline, f Format, opts Options, warn io.Writer) func(ctx context.Context, origin string, r io.Reader) error {
	return func(ctx context.Context, origin string, r io.Reader) error {
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
	br := bufio.NewReaderSize(r, 1<<20)
	line := 0
	var head []byte
	for {
		b, long, err := readLine(br)
		line++
		if len(bytes.TrimSpace(b)) > 0 || long || err != nil {
			if err != nil && err != io.EOF {
				return err
			}
			if long {
				return fmt.Errorf("line %d is longer than %d bytes: not an OTLP/JSON file of one request per line", line, ingest.MaxLine)
			}
			head = b
			break
		}
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return nil // empty file
	}
	if !json.Valid(bytes.TrimSpace(head)) {
		return readDocument(io.MultiReader(bytes.NewReader(head), br), feed)
	}
	for b, long := head, false; ; line++ {
		switch t := bytes.TrimSpace(b); {
		case long:
			st.BadRequests++
			p.Reject(origin, line, fmt.Sprintf("request longer than %d bytes", ingest.MaxLine))
		case len(t) > 0:
			req, derr := DecodeJSON(t)
			if derr != nil {
				st.BadRequests++
				p.Reject(origin, line, "request rejected: "+derr.Error())
			} else if ferr := feed(line, req); ferr != nil {
				return ferr
			}
		}
		var err error
		b, long, err = readLine(br)
		if err == io.EOF && len(b) == 0 && !long {
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
}

// readLine reads one line of at most ingest.MaxLine bytes; a longer one is
// skipped to its end without being held, and reported as long.
func readLine(br *bufio.Reader) (line []byte, long bool, err error) {
	for {
		part, err := br.ReadSlice('\n')
		if !long {
			if len(line)+len(part) > ingest.MaxLine {
				line, long = nil, true
			} else {
				line = append(line, part...)
			}
		}
		if err != bufio.ErrBufferFull {
			return line, long, err
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
