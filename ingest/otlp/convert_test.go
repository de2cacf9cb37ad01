package otlp

// Test-side converters: build an OTLP request from fixture payloads that
// are not OTLP (Langfuse trace exports, flat attribute maps). What each
// converter reconstructs is listed in testdata/frameworks/README.md.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "frameworks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadOTLPJSON decodes an OTLP/HTTP JSON request fixture with DecodeJSON.
func loadOTLPJSON(t testing.TB, name string) *coltracepb.ExportTraceServiceRequest {
	req, err := DecodeJSON(readFixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return req
}

type langfuseExport struct {
	Trace struct {
		ID     string `json:"id"`
		Scores []struct {
			Name      string   `json:"name"`
			Value     *float64 `json:"value"`
			Comment   *string  `json:"comment"`
			Timestamp string   `json:"timestamp"`
			ObsID     *string  `json:"observationId"`
		} `json:"scores"`
	} `json:"trace"`
	Observations []struct {
		ID        string  `json:"id"`
		Parent    *string `json:"parentObservationId"`
		Name      string  `json:"name"`
		StartTime string  `json:"startTime"`
		EndTime   *string `json:"endTime"`
		Level     string  `json:"level"`
		StatusMsg *string `json:"statusMessage"`
		Input     any     `json:"input"`
		Output    any     `json:"output"`
		Metadata  string  `json:"metadata"`
	} `json:"observations"`
}

type langfuseMeta struct {
	Attributes map[string]any    `json:"attributes"`
	Resource   map[string]string `json:"resourceAttributes"`
	Scope      struct {
		Name       string         `json:"name"`
		Version    string         `json:"version"`
		Attributes map[string]any `json:"attributes"`
	} `json:"scope"`
}

// loadLangfuse rebuilds the OTLP request behind a Langfuse trace export:
// one span per observation, attributes from metadata.attributes (strings,
// as Langfuse stored them), resource and scope from the metadata. It puts
// back what Langfuse moved into its own fields: the observation's
// input/output become gen_ai.input.messages/gen_ai.output.messages (GenAI
// model and agent spans), gen_ai.tool.call.arguments/result (GenAI tool
// spans) or input.value/output.value (OpenInference spans) when the
// attributes lack them; and the trace's scores become
// gen_ai.evaluation.result events on the observation they name (the
// root span when none).
func loadLangfuse(t testing.TB, name string) *coltracepb.ExportTraceServiceRequest {
	var ex langfuseExport
	if err := json.Unmarshal(readFixture(t, name), &ex); err != nil {
		t.Fatal(err)
	}
	traceID := mustHex(t, ex.Trace.ID)
	type group struct {
		res   map[string]string
		scope *commonpb.InstrumentationScope
		spans []*tracepb.Span
	}
	groups := map[string]*group{}
	var order []string
	var root *tracepb.Span
	byID := map[string]*tracepb.Span{}
	for _, o := range ex.Observations {
		var md langfuseMeta
		if err := json.Unmarshal([]byte(o.Metadata), &md); err != nil {
			t.Fatalf("%s: observation %s metadata: %v", name, o.ID, err)
		}
		sp := &tracepb.Span{
			TraceId: traceID, SpanId: mustHex(t, o.ID), Name: o.Name,
			Kind:              tracepb.Span_SPAN_KIND_INTERNAL,
			StartTimeUnixNano: isoNanos(t, o.StartTime),
			Attributes:        kvs(md.Attributes),
		}
		if o.EndTime != nil {
			sp.EndTimeUnixNano = isoNanos(t, *o.EndTime)
		}
		if o.Parent != nil {
			sp.ParentSpanId = mustHex(t, *o.Parent)
		} else {
			root = sp
		}
		if o.Level == "ERROR" {
			sp.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}
			if o.StatusMsg != nil {
				sp.Status.Message = *o.StatusMsg
			}
		}
		restoreIO(sp, md, o.Input, o.Output)
		byID[o.ID] = sp
		key := md.Scope.Name + "\x00" + md.Scope.Version + "\x00" + mustJSON(md.Resource)
		g := groups[key]
		if g == nil {
			g = &group{res: md.Resource, scope: &commonpb.InstrumentationScope{Name: md.Scope.Name, Version: md.Scope.Version, Attributes: kvs(md.Scope.Attributes)}}
			groups[key] = g
			order = append(order, key)
		}
		g.spans = append(g.spans, sp)
	}
	for _, s := range ex.Trace.Scores {
		target := root
		if s.ObsID != nil && byID[*s.ObsID] != nil {
			target = byID[*s.ObsID]
		}
		at := map[string]any{"gen_ai.evaluation.name": s.Name}
		if s.Value != nil {
			at["gen_ai.evaluation.score.value"] = *s.Value
		}
		if s.Comment != nil && *s.Comment != "" {
			at["gen_ai.evaluation.explanation"] = *s.Comment
		}
		target.Events = append(target.Events, &tracepb.Span_Event{
			Name: "gen_ai.evaluation.result", TimeUnixNano: isoNanos(t, s.Timestamp), Attributes: kvs(at),
		})
	}
	req := &coltracepb.ExportTraceServiceRequest{}
	resources := map[string]*tracepb.ResourceSpans{}
	for _, key := range order {
		g := groups[key]
		rk := mustJSON(g.res)
		rs := resources[rk]
		if rs == nil {
			res := map[string]any{}
			for k, v := range g.res {
				res[k] = v
			}
			rs = &tracepb.ResourceSpans{Resource: &resourcepb.Resource{Attributes: kvs(res)}}
			resources[rk] = rs
			req.ResourceSpans = append(req.ResourceSpans, rs)
		}
		rs.ScopeSpans = append(rs.ScopeSpans, &tracepb.ScopeSpans{Scope: g.scope, Spans: g.spans})
	}
	return req
}

func restoreIO(sp *tracepb.Span, md langfuseMeta, in, out any) {
	has := func(k string) bool { _, ok := md.Attributes[k]; return ok }
	add := func(k string, v any) {
		if s, ok := v.(string); ok && s != "" && !has(k) {
			sp.Attributes = append(sp.Attributes, kv(k, s))
		}
	}
	op, _ := md.Attributes["gen_ai.operation.name"].(string)
	switch {
	case op == "execute_tool":
		add("gen_ai.tool.call.arguments", in)
		add("gen_ai.tool.call.result", out)
	case op != "":
		add("gen_ai.input.messages", in)
		add("gen_ai.output.messages", out)
	case strings.HasPrefix(md.Scope.Name, "openinference."):
		add("input.value", in)
		add("output.value", out)
	}
}

// loadAttributes builds a one-span request from a flat attribute map
// fixture, with fixed ids and times; JSON integers become intValue.
func loadAttributes(t testing.TB, name string) *coltracepb.ExportTraceServiceRequest {
	dec := json.NewDecoder(bytes.NewReader(readFixture(t, name)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	spanName, _ := m["gen_ai.operation.name"].(string)
	if spanName == "" {
		spanName = strings.TrimSuffix(name, ".attributes.json")
	}
	start := uint64(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: kvs(map[string]any{"service.name": "fixture"})},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: mustHex(t, "0af7651916cd43dd8448eb211c80319c"), SpanId: mustHex(t, "b7ad6b7169203331"),
			Name: spanName, Kind: tracepb.Span_SPAN_KIND_CLIENT,
			StartTimeUnixNano: start, EndTimeUnixNano: start + 1_250_000_000,
			Attributes: kvs(m),
		}}}},
	}}}
}

// kvs converts decoded JSON to OTLP attributes, in key order.
func kvs(m map[string]any) []*commonpb.KeyValue {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*commonpb.KeyValue, 0, len(m))
	for _, k := range keys {
		out = append(out, kv(k, m[k]))
	}
	return out
}

func kv(k string, v any) *commonpb.KeyValue { return &commonpb.KeyValue{Key: k, Value: anyValue(v)} }

func anyValue(v any) *commonpb.AnyValue {
	switch x := v.(type) {
	case string:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: x}}
	case bool:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: x}}
	case int:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(x)}}
	case int64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: x}}
	case float64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: x}}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: i}}
		}
		f, _ := x.Float64()
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}
	case []any:
		vals := make([]*commonpb.AnyValue, len(x))
		for i, e := range x {
			vals[i] = anyValue(e)
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vals}}}
	case map[string]any:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: kvs(x)}}}
	}
	return &commonpb.AnyValue{}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return b
}

func isoNanos(t testing.TB, s string) uint64 {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return uint64(ts.UnixNano())
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
