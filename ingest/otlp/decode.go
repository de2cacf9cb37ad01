package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// ErrMalformed wraps every decode error: the body is not an
// ExportTraceServiceRequest in the claimed encoding.
var ErrMalformed = errors.New("otlp: malformed request")

// DecodeProtobuf decodes a binary ExportTraceServiceRequest.
func DecodeProtobuf(b []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := proto.Unmarshal(b, req); err != nil {
		return nil, fmt.Errorf("%w: protobuf: %v", ErrMalformed, err)
	}
	return req, nil
}

var jsonOpts = protojson.UnmarshalOptions{DiscardUnknown: true}

// DecodeJSON decodes an ExportTraceServiceRequest in OTLP/JSON: protojson
// with trace and span ids in hex (not base64), unknown fields ignored, and
// 64-bit integers as strings or numbers.
func DecodeJSON(b []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	fixed, err := hexIDs(b)
	if err != nil {
		return nil, fmt.Errorf("%w: json: %v", ErrMalformed, err)
	}
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := jsonOpts.Unmarshal(fixed, req); err != nil {
		return nil, fmt.Errorf("%w: json: %v", ErrMalformed, err)
	}
	return req, nil
}

// idKeys are the OTLP/JSON members whose string values are hex ids
// (protojson accepts both spellings of a field name).
var idKeys = map[string]bool{
	"traceId": true, "spanId": true, "parentSpanId": true,
	"trace_id": true, "span_id": true, "parent_span_id": true,
}

// badID is what an id that is neither hex nor base64 of an id becomes:
// one byte, which Map rejects as the wrong length, so one bad id costs one
// span, not the request.
const badID = `"AA=="`

// hexIDs rewrites the hex string values of idKeys members to base64 for
// protojson. It scans JSON text without building it: strings are skipped
// whole (escapes included), so an id-like key inside an attribute value
// is never touched. Malformed JSON is left for protojson to report, except
// an unterminated string, reported here.
func hexIDs(b []byte) ([]byte, error) {
	var out []byte // nil until the first rewrite
	last := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		end, err := strEnd(b, i)
		if err != nil {
			return nil, err
		}
		key := b[i+1 : end]
		j := skipSpace(b, end+1)
		if j >= len(b) || b[j] != ':' || !idKeys[string(key)] {
			i = end
			continue
		}
		j = skipSpace(b, j+1)
		if j >= len(b) || b[j] != '"' {
			i = end
			continue
		}
		vend, err := strEnd(b, j)
		if err != nil {
			return nil, err
		}
		val := b[j+1 : vend]
		var rep string
		if len(val) > 0 {
			raw := make([]byte, hex.DecodedLen(len(val)))
			if _, err := hex.Decode(raw, val); err != nil {
				rep = badID
				b64 := make([]byte, base64.StdEncoding.DecodedLen(len(val)))
				if n, err := base64.StdEncoding.Decode(b64, val); err == nil && (n == 16 || n == 8) {
					rep = "" // already base64 (a protojson-style sender): leave it
				}
			} else {
				rep = `"` + base64.StdEncoding.EncodeToString(raw) + `"`
			}
		}
		if rep != "" {
			out = append(out, b[last:j]...)
			out = append(out, rep...)
			last = vend + 1
		}
		i = vend
	}
	if out == nil {
		return b, nil
	}
	return append(out, b[last:]...), nil
}

// strEnd returns the index of the quote closing the string opened at i.
func strEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j, nil
		}
	}
	return 0, fmt.Errorf("unterminated string at byte %d", i)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
