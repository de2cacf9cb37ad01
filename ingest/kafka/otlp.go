package kafka

import "github.com/evalhouse/evalhouse/ingest/otlp"

// OTLPDecoder decodes a binary OTLP ExportTraceServiceRequest (the
// collector's Kafka exporter's otlp_proto encoding) into events with
// ingest/otlp's mapping. Spans it cannot map, and spans with no event kind
// whose run is not in the message (Unattached), are reported as Rejected.
// opts.Fallback supplies tenant, environment and release for telemetry
// that names none.
func OTLPDecoder(opts otlp.Options) Decoder {
	return func(payload []byte) (Decoded, error) {
		req, err := otlp.DecodeProtobuf(payload)
		if err != nil {
			return Decoded{}, err
		}
		res := otlp.Map(req, opts)
		d := Decoded{Events: res.Events}
		for _, list := range [][]otlp.SpanError{res.Rejected, res.Unattached} {
			for _, r := range list {
				d.Rejected = append(d.Rejected, Rejection{Pos: r.Pos, Reason: "span: " + r.Reason})
			}
		}
		return d, nil
	}
}
