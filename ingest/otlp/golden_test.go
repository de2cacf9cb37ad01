package otlp

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current mapping")

// framework is one golden case: a fixture, how to load it as OTLP, and
// the name of its golden file.
type framework struct {
	golden string
	file   string
	load   func(testing.TB, string) *coltracepb.ExportTraceServiceRequest
}

var frameworks = []framework{
	{"langgraph", "langgraph-openinference-js-react-agent-tools-retriever.otlp.json", loadOTLPJSON},
	{"crewai", "crewai-openinference-crew-task-llm.langfuse.json", loadLangfuse},
	{"microsoft-agent-framework", "microsoft-agent-framework-otel-genai-agent-chat-tool.langfuse.json", loadLangfuse},
	{"mastra", "mastra-otel-exporter-agent-tool-processor-scorer.otlp.json", loadOTLPJSON},
	{"openai-agents", "openai-agents-openinference-agent-llm-tool.langfuse.json", loadLangfuse},
	{"openllmetry-legacy", "openllmetry-traceloop-js-legacy-agent-tool.otlp.json", loadOTLPJSON},
	{"openllmetry-guardrail", "openllmetry-traceloop-js-agent-tool-guardrail.otlp.json", loadOTLPJSON},
	{"generic-otel-genai-chat", "generic-otel-genai-chat-tool-calls.attributes.json", loadAttributes},
	{"generic-otel-genai-execute-tool", "generic-otel-genai-execute-tool.attributes.json", loadAttributes},
	{"generic-otel-genai-deprecated", "generic-otel-genai-deprecated-prompt-completion.attributes.json", loadAttributes},
	{"generic-openinference-llm", "generic-openinference-llm-tool-calls.attributes.json", loadAttributes},
}

// goldenOpts are the server defaults every golden case maps with.
var goldenOpts = Options{Fallback: Defaults{Tenant: "acme", Environment: "test", Release: "fixture"}}

// goldenResult is what a golden file holds.
type goldenResult struct {
	Spans      int         `json:"spans"`
	Mapped     int         `json:"mapped"`
	Folded     int         `json:"folded"`
	Unattached int         `json:"unattached"`
	Rejected   []SpanError `json:"rejected"`
	Events     any         `json:"events"`
}

func mapFramework(t testing.TB, name string) Result {
	t.Helper()
	for _, f := range frameworks {
		if f.golden == name {
			return Map(f.load(t, f.file), goldenOpts)
		}
	}
	t.Fatalf("no framework %q", name)
	return Result{}
}

// TestGoldenFrameworks compares each fixture's mapped events with
// testdata/golden/<name>.json. After a deliberate mapping change, review
// the diff of `go test ./ingest/otlp -run TestGoldenFrameworks -update`.
func TestGoldenFrameworks(t *testing.T) {
	for _, f := range frameworks {
		t.Run(f.golden, func(t *testing.T) {
			res := Map(f.load(t, f.file), goldenOpts)
			if res.Spans != res.Mapped+res.Folded+len(res.Rejected) {
				t.Fatalf("spans %d != mapped %d + folded %d + rejected %d", res.Spans, res.Mapped, res.Folded, len(res.Rejected))
			}
			got, err := json.MarshalIndent(goldenResult{res.Spans, res.Mapped, res.Folded, len(res.Unattached), res.Rejected, res.Events}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", f.golden+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it, then review it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the mapping's output; if the change is intended, run go test ./ingest/otlp -run TestGoldenFrameworks -update and review the diff\n%s",
					path, firstDiff(want, got))
			}
		})
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + itoa(i+1) + ":\n  want: " + string(w) + "\n  got:  " + string(g)
		}
	}
	return ""
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
