package otlp

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// The seed corpora in testdata/fuzz/ are the framework fixtures up to
// maxSeed bytes of OTLP/JSON (larger seeds make the fuzzer's minimizer
// crawl), as OTLP/JSON and as protobuf; TestFuzzSeeds -update rewrites
// them. TestFuzzSeeds checks every fixture, seed or not.

const maxSeed = 4096

// smallTree is a seed with the shapes that matter: a run, a folded
// CHAIN, a re-parented model call with an evaluation event, a tool, and
// a span whose parent is elsewhere.
func smallTree(f *testing.F) *coltracepb.ExportTraceServiceRequest {
	chat := span(f, "0000000000000a03", "0000000000000a02", "chat", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": "12", "evalhouse.run_id": "r"})
	chat.Events = []*tracepb.Span_Event{{Name: evalEventName, TimeUnixNano: 1, Attributes: kvs(map[string]any{"gen_ai.evaluation.name": "e", "gen_ai.evaluation.score.value": 1.0})}}
	return request(map[string]any{"service.version": "1"},
		span(f, "0000000000000a01", "", "agent", map[string]any{"gen_ai.operation.name": "invoke_agent"}),
		span(f, "0000000000000a02", "0000000000000a01", "node", map[string]any{"openinference.span.kind": "CHAIN"}),
		chat,
		span(f, "0000000000000a04", "0000000000000a01", "tool", map[string]any{"openinference.span.kind": "TOOL", "retrieval.documents.0.document.id": "d"}),
		span(f, "0000000000000a05", "0000000000000aff", "x", map[string]any{"gen_ai.operation.name": "delete_memory"}),
	)
}

func FuzzDecodeProtobuf(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00})
	pb, _ := proto.Marshal(smallTree(f))
	f.Add(pb)
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeProtobuf(b)
		if err != nil {
			return
		}
		checkMapping(t, req)
	})
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","parentSpanId":"zz","startTimeUnixNano":"1","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.usage.input_tokens","value":{"stringValue":"1e3"}}]}]}]}]}`))
	f.Add(otlpJSON(f, smallTree(f)))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeJSON(b)
		if err != nil {
			return
		}
		checkMapping(t, req)
	})
}

// checkMapping asserts what Map promises for any decodable request: no
// span lost silently, one event per mapped span with its ids, one eval
// event per evaluation span event, storable events, and attributes
// outside the mapping's vocabulary kept.
func checkMapping(t *testing.T, req *coltracepb.ExportTraceServiceRequest) {
	res := Map(req, Options{Fallback: Defaults{Tenant: "t"}})
	spans, evals := 0, 0
	rejected := map[int]bool{}
	for _, e := range res.Rejected {
		rejected[e.Pos] = true
	}
	byEventID := map[string]*envelope.Event{}
	dupIDs := map[string]int{}
	for _, ev := range res.Events {
		dupIDs[ev.EventID]++
		if !envelope.ValidKind(ev.Kind) || ev.TS.IsZero() || ev.EventID == "" || ev.RunID == "" || ev.Tenant != "t" {
			t.Fatalf("unstorable event: %+v", ev)
		}
		if _, err := json.Marshal(ev); err != nil {
			t.Fatalf("event %s does not encode: %v", ev.EventID, err)
		}
		if ev.Kind == envelope.KindEval && strings.Contains(ev.EventID, "-") {
			evals++
		}
		byEventID[ev.EventID] = ev
	}
	wantEvals := 0
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				spans++
				if rejected[spans] {
					continue
				}
				for _, e := range sp.GetEvents() {
					if e.GetName() == evalEventName {
						wantEvals++
					}
				}
				id := hex.EncodeToString(sp.GetTraceId()) + hex.EncodeToString(sp.GetSpanId())
				ev := byEventID[id]
				if ev == nil || dupIDs[id] > 1 {
					continue // folded, or a repeated span id
				}
				seen := map[string]bool{}
				for _, kv := range sp.GetAttributes() {
					k := kv.GetKey()
					if seen[k] || consumable(k) {
						continue
					}
					seen[k] = true
					if _, ok := ev.Attributes[k]; !ok {
						t.Fatalf("span %d: attribute %q dropped", spans, k)
					}
				}
			}
		}
	}
	if res.Spans != spans || res.Spans != res.Mapped+res.Folded+len(res.Rejected) || len(res.Unattached) > res.Folded {
		t.Fatalf("spans %d (counted %d) != mapped %d + folded %d + rejected %d", res.Spans, spans, res.Mapped, res.Folded, len(res.Rejected))
	}
	if evals != wantEvals || len(res.Events) != res.Mapped+evals {
		t.Fatalf("%d events for %d mapped spans and %d eval events (want %d)", len(res.Events), res.Mapped, evals, wantEvals)
	}
}

// consumable says whether the mapping may turn an attribute into a field.
func consumable(k string) bool {
	for _, p := range []string{"evalhouse.", "gen_ai.prompt.", "gen_ai.completion.", "retrieval.documents.", "mastra."} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	switch k {
	case "user.id", "enduser.id", "gen_ai.agent.name", "traceloop.entity.name", "gen_ai.input.messages", "input.value",
		"traceloop.entity.input", "gen_ai.output.messages", "output.value", "traceloop.entity.output",
		"gen_ai.response.finish_reasons", "llm.finish_reason", "gen_ai.response.model", "gen_ai.request.model",
		"llm.model_name", "llm.prompt_template.version", "gen_ai.usage.input_tokens", "llm.token_count.prompt",
		"gen_ai.usage.prompt_tokens", "gen_ai.usage.output_tokens", "llm.token_count.completion",
		"gen_ai.usage.completion_tokens", "llm.cost.total", "gen_ai.prompt", "gen_ai.completion", "gen_ai.tool.name",
		"tool.name", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "gen_ai.retrieval.query.text",
		"gen_ai.data_source.id", "gen_ai.guardrail.status", "gen_ai.guardrail.input", "gen_ai.evaluation.name",
		"gen_ai.evaluation.score.value", "gen_ai.evaluation.explanation":
		return true
	}
	return false
}

// TestFuzzSeeds keeps testdata/fuzz/ in step with the fixtures (rewritten
// with -update) and runs every seed through the fuzz checks.
func TestFuzzSeeds(t *testing.T) {
	for _, fw := range frameworks {
		req := fw.load(t, fw.file)
		pb, err := proto.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		js := otlpJSON(t, req)
		for _, c := range []struct {
			fuzz string
			data []byte
		}{{"FuzzDecodeProtobuf", pb}, {"FuzzDecodeJSON", js}} {
			path := filepath.Join("testdata", "fuzz", c.fuzz, fw.golden)
			if len(js) > maxSeed {
				os.Remove(path)
				continue
			}
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", c.data)
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			} else if b, err := os.ReadFile(path); err != nil || string(b) != body {
				t.Errorf("%s is missing or stale: run go test ./ingest/otlp -run TestFuzzSeeds -update", path)
			}
		}
		t.Run(fw.golden, func(t *testing.T) {
			if r, err := DecodeProtobuf(pb); err != nil {
				t.Fatal(err)
			} else {
				checkMapping(t, r)
			}
			if r, err := DecodeJSON(js); err != nil {
				t.Fatal(err)
			} else {
				checkMapping(t, r)
			}
		})
	}
}
