package otlp

import (
	"fmt"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"

	"github.com/evalhouse/evalhouse/ingest"
)

// The names of the OTLP formats (ingest.Format.Name).
const (
	NameProtobuf = "otlp"      // a binary ExportTraceServiceRequest
	NameJSON     = "otlp_json" // an ExportTraceServiceRequest in OTLP/JSON
)

// ProtobufFormat is a binary ExportTraceServiceRequest (OTLP/HTTP
// protobuf, the collector Kafka exporter's otlp_proto), mapped with opts.
// Read reads a *.otlp.pb file: one request.
func ProtobufFormat(opts Options) ingest.Format {
	return ingest.Format{Name: NameProtobuf, Source: "otlp", Decode: decoder(DecodeProtobuf, opts),
		Read: Reader(FormatProtobuf, opts, nil)}
}

// JSONFormat is an ExportTraceServiceRequest in OTLP/JSON, mapped with
// opts. Read reads a *.otlp.json file: one request, several concatenated,
// or one a line (the collector's file exporter).
func JSONFormat(opts Options) ingest.Format {
	return ingest.Format{Name: NameJSON, Source: "otlp", Decode: decoder(DecodeJSON, opts),
		Read: Reader(FormatJSON, opts, nil)}
}

// Formats are the media types POST /v1/traces takes (OTLP/HTTP).
func Formats(opts Options) *ingest.Registry {
	return ingest.NewRegistry().
		Register(ProtobufFormat(opts), "application/x-protobuf", "application/protobuf").
		Register(JSONFormat(opts), "application/json")
}

// formatWithOptions is f (one of the OTLP formats) mapping with opts.
func formatWithOptions(f ingest.Format, opts Options) ingest.Format {
	if f.Name == NameProtobuf {
		return ProtobufFormat(opts)
	}
	return JSONFormat(opts)
}

func decoder(decode func([]byte) (*coltracepb.ExportTraceServiceRequest, error), opts Options) ingest.Decoder {
	return func(payload []byte) (ingest.Decoded, error) {
		req, err := decode(payload)
		if err != nil {
			return ingest.Decoded{}, ingest.NewPermanent(err)
		}
		return decoded(Map(req, opts)), nil
	}
}

// decoded is a mapping's result as a decoder's: the events, and every span
// not stored (unusable ones, and those with nothing to be stored with).
func decoded(res Result) ingest.Decoded {
	d := ingest.Decoded{Events: res.Events, Parts: res.Spans}
	for _, list := range [][]SpanError{res.Rejected, res.Unattached} {
		for _, e := range list {
			d.Rejected = append(d.Rejected, ingest.PartError{Part: "span", Pos: e.Pos,
				ID: fmt.Sprintf("trace %s, span %s", e.TraceID, e.SpanID), Reason: e.Reason})
		}
	}
	return d
}
