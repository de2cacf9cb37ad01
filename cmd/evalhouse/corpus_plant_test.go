package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/ingest/redact"
)

// The builders of TestCorpusNowhere: every secret of the redaction corpus
// (ingest/redact/testdata/corpus/secrets.tsv), planted in the shape each
// ingest path takes, in every place that path carries text.

// plant is one corpus row: a fake secret (value) of a marker type, inside
// the text an agent leaked it in. bare is what is planted where a value
// stands alone (a key, a tag, a Kafka key): the secret when it is
// recognisable on its own, else the text (a Twilio auth token or a
// password is 32 hex digits or a word until its context names it).
type plant struct {
	line                   int
	typ, value, text, bare string
}

const corpusFile = "../../ingest/redact/testdata/corpus/secrets.tsv"

func readPlants(t *testing.T) []plant {
	t.Helper()
	f, err := os.Open(corpusFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	red := redact.New(redact.DefaultConfig())
	var out []plant
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, "\t")
		text, err := strconv.Unquote(f[len(f)-1])
		if len(f) != 4 || err != nil {
			t.Fatalf("%s:%d: not TYPE<TAB>VALUE<TAB>PLACE<TAB>\"TEXT\"", corpusFile, n)
		}
		bare := text
		if redact.Scrub(red, f[1], nil) != f[1] {
			bare = f[1]
		}
		out = append(out, plant{n, f[0], f[1], text, bare})
	}
	if err := sc.Err(); err != nil || len(out) < 300 {
		t.Fatalf("%s: %d secrets (%v)", corpusFile, len(out), err)
	}
	return out
}

// ids are the identifiers of the i-th event of a path: hex, with letters,
// so no detector could take one for a secret.
func ids(path byte, i int) (event, trace, span string) {
	return fmt.Sprintf("%c-evt-%04d", path, i), fmt.Sprintf("%02x%030x", path, 0xabc000+i/4), fmt.Sprintf("ab%02x%012x", path, i)
}

// namedFields are the envelope's text fields one event after another
// carries a plant's text in (beside its payloads, which all do).
var namedFields = []string{"task", "actor", "model", "prompt_version", "stop_reason", "tool", "side_effect",
	"policy_basis", "reason_code", "action", "evaluator", "environment", "release", "status", "authorization"}

// envelopeEvent is an event of our JSON envelope carrying p everywhere
// text goes: input, output, args and attributes (as a value and as a key),
// an unknown top-level field (kept in attributes), and one named field.
func envelopeEvent(path byte, i int, p plant, ts time.Time) []byte {
	event, trace, span := ids(path, i)
	kind := []envelope.Kind{envelope.KindModel, envelope.KindTool}[i%2]
	ev := map[string]any{
		"kind": kind, "event_id": event, "trace_id": trace, "span_id": span, "run_id": "run-" + event,
		"tenant": "acme", "environment": "staging", "release": "9.9.9", "status": "ok",
		"ts":         ts.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano),
		"input":      map[string]any{"messages": []any{map[string]any{"role": "user", "content": p.text}}},
		"output":     p.text,
		"attributes": map[string]any{"note": p.text, p.bare: "as a key", "nested": map[string]any{p.bare: []any{p.text}}},
		"x_pasted":   p.text,
		p.bare:       "an unknown field named by the secret",
	}
	if kind == envelope.KindTool {
		ev["tool"], ev["args"] = "shell", map[string]any{"cmd": p.text, p.bare: 1}
	} else {
		ev["model"] = "gpt-4o"
	}
	ev[namedFields[i%len(namedFields)]] = p.text
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

// escapeFirst is text as a JSON string (quotes included) whose secret's
// first character is spelled as a \u escape, as a leaking serializer or an
// attacker writes it.
func escapeFirst(p plant) string {
	js, _ := json.Marshal(p.text)
	v, _ := json.Marshal(p.value)
	val := string(v[1 : len(v)-1])
	return strings.Replace(string(js), val, fmt.Sprintf(`\u%04x`, p.value[0])+val[1:], 1)
}

// badLines are two lines the path must reject, each holding p: one
// malformed (its secret behind a JSON escape), one well-formed but out of
// range (ts in 1800), whole in its raw line.
func badLines(path byte, i int, p plant) [][]byte {
	event, _, _ := ids(path, i)
	return [][]byte{
		[]byte(`{"kind":"tool","event_id":"` + event + `-bad","args":{"k":` + escapeFirst(p) + `}`),
		[]byte(`{"kind":"tool","event_id":"` + event + `-old","tenant":"acme","ts":"1800-01-01T00:00:00Z","args":{"k":` + escapeFirst(p) + `},"output":` + strconv.Quote(p.bare) + `}`),
	}
}

// envelopeLines are the good events and the bad lines of a path, NDJSON.
func envelopeLines(path byte, plants []plant, ts time.Time) (good, bad []byte) {
	for i, p := range plants {
		good = append(append(good, envelopeEvent(path, i, p, ts)...), '\n')
		for _, l := range badLines(path, i, p) {
			bad = append(append(bad, l...), '\n')
		}
	}
	return good, bad
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// otlpRequest is an OTLP export of one span a plant, its text in a span
// attribute, the span's name, an event's name and the status message, its
// secret as a resource, span, event and link attribute key.
func otlpRequest(path byte, plants []plant, ts time.Time) *coltracepb.ExportTraceServiceRequest {
	req := &coltracepb.ExportTraceServiceRequest{}
	for i, p := range plants {
		_, trace, span := ids(path, i)
		tid, _ := hex.DecodeString(trace)
		sid, _ := hex.DecodeString(span)
		start := uint64(ts.Add(time.Duration(i) * time.Millisecond).UnixNano())
		req.ResourceSpans = append(req.ResourceSpans, &tracepb.ResourceSpans{
			Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "bot"), str(p.bare, "resource")}},
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
				TraceId: tid, SpanId: sid, Name: "chat " + p.text, StartTimeUnixNano: start, EndTimeUnixNano: start + 5e6,
				Attributes: []*commonpb.KeyValue{str("gen_ai.operation.name", "chat"), str("gen_ai.request.model", "gpt-4o"),
					str("gen_ai.prompt", p.text), str(p.bare, "span")},
				Events: []*tracepb.Span_Event{{Name: p.text, TimeUnixNano: start + 1, Attributes: []*commonpb.KeyValue{str(p.bare, "event")}}},
				Links:  []*tracepb.Span_Link{{TraceId: tid, SpanId: sid, Attributes: []*commonpb.KeyValue{str(p.bare, "link")}}},
				Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "failed: " + p.text},
			}}}},
		})
	}
	return req
}

// parquetRows are stored rows (as `evalhouse export` writes them) with a
// plant's text in every text column but the identifiers and the kind, and
// its secret as a redaction_counts key: a file another system wrote.
func parquetRows(path byte, plants []plant, ts time.Time) []events.Row {
	var rows []events.Row
	for i, p := range plants {
		event, trace, span := ids(path, i)
		t := p.text
		rows = append(rows, events.Row{
			Tenant: "acme", Environment: t, TS: ts.Add(time.Duration(i) * time.Millisecond), Kind: envelope.KindModel,
			EventID: event, TraceID: trace, SpanID: span, RunID: "run-" + event, Release: t, Status: t,
			Actor: t, Task: t, Input: t, Output: `{"answer":` + strconv.Quote(t) + `}`, StopReason: t,
			Model: t, PromptVersion: t, InputRef: t, OutputStatus: t, CostSource: t,
			Tool: t, Args: string(mustJSON(map[string]int{p.bare: 1})), Authorization: t, SideEffect: t,
			AccessDecision: t, Op: t, PolicyBasis: t, PolicyVersion: t, Decision: t, ReasonCode: t,
			Enforcement: t, ApproverRole: t, Action: t, Result: t, Evaluator: t, EvaluatorVersion: t,
			Attributes: `{"note":` + strconv.Quote(t) + `}`, ContractViolations: []string{t},
			RedactionCounts: map[string]uint32{p.bare: 1}, Source: t, IngestID: t,
		})
	}
	return rows
}
