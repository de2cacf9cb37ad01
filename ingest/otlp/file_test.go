package otlp

import (
	"bytes"
	"context"
	"strings"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/evalhouse/evalhouse/ingest"
)

func TestFileFormat(t *testing.T) {
	for name, want := range map[string]Format{
		"run.otlp.json": FormatJSON, "RUN.OTLP.JSONL": FormatJSON, "run.otlp.json.gz": FormatJSON,
		"run.otlp.pb": FormatProtobuf, "run.otlp.binpb.gz": FormatProtobuf,
		"events.ndjson": FormatNone, "run.json": FormatNone, "otlp.json": FormatNone,
	} {
		if got := FileFormat(name); got != want {
			t.Errorf("FileFormat(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestReadFileShapes(t *testing.T) {
	ctx := context.Background()
	one := func(id string) []byte {
		return otlpJSON(t, request(map[string]any{"evalhouse.tenant": "acme"},
			span(t, id, "", "chat", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})))
	}
	pretty := func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(`,"`), []byte(",\n  \""))
	}
	pb, _ := proto.Marshal(request(nil, span(t, "0000000000000599", "", "chat", map[string]any{"gen_ai.operation.name": "chat"})))
	cases := []struct {
		name     string
		format   Format
		body     []byte
		accepted int
		warn     string
		err      string
	}{
		{"json lines with a bad line", FormatJSON,
			bytes.Join([][]byte{one("0000000000000501"), []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":1}]}]}]}`), []byte(""), one("0000000000000502")}, []byte("\n")),
			2, "1 request line(s) rejected", ""},
		{"one pretty-printed request", FormatJSON, pretty(one("0000000000000511")), 1, "1 span(s) in 1 request(s)", ""},
		{"concatenated requests", FormatJSON, append(pretty(one("0000000000000521")), pretty(one("0000000000000522"))...), 2, "2 span(s) in 2 request(s)", ""},
		{"empty file", FormatJSON, []byte("\n\n"), 0, "0 span(s)", ""},
		{"broken document", FormatJSON, []byte("{\n\"resourceSpans\": [\n"), 0, "", "malformed"},
		{"protobuf", FormatProtobuf, pb, 1, "1 mapped to events", ""},
		{"broken protobuf", FormatProtobuf, []byte{0xff, 0xff}, 0, "", "malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			p, err := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Source: "otlp", Urgent: true})
			if err != nil {
				t.Fatal(err)
			}
			var warn bytes.Buffer
			_, err = ReadFile(ctx, p, "file", bytes.NewReader(c.body), c.format, Options{}, &warn)
			if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("err = %v, want %q", err, c.err)
			}
			sum, err := p.Close(ctx)
			if err != nil || sum.Accepted != c.accepted {
				t.Fatalf("accepted %d, want %d (%v)\n%s", sum.Accepted, c.accepted, err, warn.String())
			}
			if !strings.Contains(warn.String(), c.warn) {
				t.Errorf("warnings lack %q:\n%s", c.warn, warn.String())
			}
			// An undecodable request line is rejected through the pipeline:
			// counted, named, in ingest_log like any rejected line.
			if strings.Contains(c.name, "bad line") && (sum.Rejected != 1 || sum.Errors[0].Line != 2 || !strings.Contains(sum.Errors[0].Reason, "request rejected")) {
				t.Errorf("bad request line: %+v", sum)
			}
		})
	}
}

func TestHexIDs(t *testing.T) {
	in := `{"traceId" : "4BF92F3577B34DA6A3CE929D0E0E4736","name":"has \"spanId\":\"00f067aa0ba902b7\" inside","spanId":"00f067aa0ba902b7","parentSpanId":"","links":[{"spanId":"zz"}]}`
	out, err := hexIDs([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"traceId" : "S/kvNXezTaajzpKdDg5HNg==","name":"has \"spanId\":\"00f067aa0ba902b7\" inside","spanId":"APBnqgupArc=","parentSpanId":"","links":[{"spanId":"AA=="}]}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	// Already base64 (16 bytes): left for protojson.
	if out, _ := hexIDs([]byte(`{"traceId":"S/kvNXezTaajzpKdDg5HNg=="}`)); string(out) != `{"traceId":"S/kvNXezTaajzpKdDg5HNg=="}` {
		t.Errorf("base64 id rewritten: %s", out)
	}
	if _, err := hexIDs([]byte(`{"traceId":"abc`)); err == nil {
		t.Error("unterminated string accepted")
	}
}

// TestReadFileLargeRequest stores a 6,000-span file through a pipeline and
// Writer with their default batch sizes (what `evalhouse ingest` uses).
func TestReadFileLargeRequest(t *testing.T) {
	bodies, n := benchBodies(t, 6000, 7)
	all := &coltracepb.ExportTraceServiceRequest{}
	for _, b := range bodies {
		req, err := DecodeProtobuf(b)
		if err != nil {
			t.Fatal(err)
		}
		all.ResourceSpans = append(all.ResourceSpans, req.ResourceSpans...)
	}
	pb, _ := proto.Marshal(all)
	s := newStore(t)
	p, err := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Urgent: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := ReadFile(ctx, p, "big.otlp.pb", bytes.NewReader(pb), FormatProtobuf, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	if sum, err := p.Close(ctx); err != nil || sum.Accepted != n {
		t.Fatalf("accepted %d of %d: %v", sum.Accepted, n, err)
	}
}

// A request line over ingest.MaxLine is rejected without being held; the
// lines around it land.
func TestReadFileOverlongLine(t *testing.T) {
	s := newStore(t)
	p, _ := ingest.NewPipeline(ingest.NewWriter(s.Conn, 0, 0), ingest.Options{Source: "otlp", Urgent: true})
	good := otlpJSON(t, request(map[string]any{"evalhouse.tenant": "acme"},
		span(t, "0000000000000601", "", "chat", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})))
	huge := append([]byte(`{"resourceSpans":[],"x":"`), bytes.Repeat([]byte("a"), ingest.MaxLine)...)
	body := bytes.Join([][]byte{good, huge, otlpJSON(t, request(map[string]any{"evalhouse.tenant": "acme"},
		span(t, "0000000000000602", "", "chat", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})))}, []byte("\n"))
	if _, err := ReadFile(context.Background(), p, "big.otlp.json", bytes.NewReader(body), FormatJSON, Options{}, nil); err != nil {
		t.Fatal(err)
	}
	sum, err := p.Close(context.Background())
	if err != nil || sum.Accepted != 2 || sum.Rejected != 1 || !strings.Contains(sum.Errors[0].Reason, "longer than") || sum.Errors[0].Line != 2 {
		t.Fatalf("%v %+v", err, sum)
	}
}
