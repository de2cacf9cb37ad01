package otlp

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/internal/httpbody"
	"github.com/evalhouse/evalhouse/internal/restamp"
	"github.com/evalhouse/evalhouse/internal/store"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/schema"
)

// newStore returns a migrated store on the real embedded engine.
func newStore(t testing.TB) *store.Store {
	t.Helper()
	s := storetest.New(t)
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

func serveOTLP(t testing.TB, s *store.Store, cfg Config) *httptest.Server {
	srv := httptest.NewServer(NewHandler(ingest.NewWriter(s.Conn, 0, 20*time.Millisecond), cfg, nil))
	t.Cleanup(srv.Close)
	return srv
}

func count(t testing.TB, s *store.Store, q string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := s.Conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

type reply struct {
	code   int
	header http.Header
	body   []byte
}

func postOTLP(t testing.TB, url, ctype string, body []byte, hdr ...string) reply {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func (r reply) export(t testing.TB) *coltracepb.ExportTraceServiceResponse {
	t.Helper()
	m := &coltracepb.ExportTraceServiceResponse{}
	var err error
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/x-protobuf") {
		err = proto.Unmarshal(r.body, m)
	} else {
		err = protojson.Unmarshal(r.body, m)
	}
	if err != nil {
		t.Fatalf("response %q: %v", r.body, err)
	}
	return m
}

func (r reply) status(t testing.TB) *status.Status {
	t.Helper()
	m := &status.Status{}
	var err error
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/x-protobuf") {
		err = proto.Unmarshal(r.body, m)
	} else {
		err = protojson.Unmarshal(r.body, m)
	}
	if err != nil {
		t.Fatalf("status %q: %v", r.body, err)
	}
	return m
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestHandlerJSONThenProtobufStoresOnce(t *testing.T) {
	s := newStore(t)
	srv := serveOTLP(t, s, Config{Defaults: Defaults{Environment: "cfg-env"}})
	body := readFixture(t, "langgraph-openinference-js-react-agent-tools-retriever.otlp.json")
	r := postOTLP(t, srv.URL+"/v1/traces", "application/json", body, HeaderTenant, "acme")
	if r.code != 200 || r.header.Get("Content-Type") != "application/json" || r.export(t).GetPartialSuccess() != nil {
		t.Fatalf("JSON POST: %d %s", r.code, r.body)
	}
	q := "SELECT count() FROM agent_events WHERE tenant = 'acme' AND environment = 'cfg-env' AND source = 'otlp'"
	if n := count(t, s, q); n != 6 {
		t.Fatalf("stored %d events, want 6", n)
	}
	// The same spans again, as gzip'ed protobuf: deduplicated by event_id.
	pb, _ := proto.Marshal(loadOTLPJSON(t, "langgraph-openinference-js-react-agent-tools-retriever.otlp.json"))
	r = postOTLP(t, srv.URL+"/v1/traces", "application/x-protobuf", gz(pb), "Content-Encoding", "gzip", HeaderTenant, "acme")
	if r.code != 200 || r.header.Get("Content-Type") != "application/x-protobuf" || r.export(t).GetPartialSuccess() != nil {
		t.Fatalf("protobuf POST: %d %q", r.code, r.body)
	}
	if n := count(t, s, q); n != 6 {
		t.Fatalf("after the re-send: %d events, want 6", n)
	}
	if n := count(t, s, "SELECT count() FROM agent_events WHERE kind = 'model' AND cost_source LIKE 'price_table@%' AND cost_usd > 0 AND input_tokens = 142"); n != 1 {
		t.Errorf("model event not priced: %d", n)
	}
}

func TestHandlerPartialSuccess(t *testing.T) {
	s := newStore(t)
	srv := serveOTLP(t, s, Config{})
	bad := span(t, "0000000000000302", "", "chat", nil)
	bad.StartTimeUnixNano = 0
	req := request(map[string]any{"deployment.environment.name": "prod"},
		span(t, "0000000000000301", "", "chat", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}), bad)
	pb, _ := proto.Marshal(req)
	r := postOTLP(t, srv.URL+"/v1/traces", "application/x-protobuf", pb)
	ps := r.export(t).GetPartialSuccess()
	if r.code != 200 || ps.GetRejectedSpans() != 1 || !strings.Contains(ps.GetErrorMessage(), "start_time_unix_nano is missing") {
		t.Fatalf("%d %v", r.code, ps)
	}
	if n := count(t, s, "SELECT count() FROM agent_events WHERE environment = 'prod'"); n != 1 {
		t.Fatalf("stored %d, want the good span", n)
	}
	// ?strict=true: an event breaking the trace contract is rejected too.
	body := otlpJSON(t, request(nil, span(t, "0000000000000303", "", "chat", map[string]any{"gen_ai.operation.name": "chat"})))
	r = postOTLP(t, srv.URL+"/v1/traces?strict=true", "application/json", body)
	if ps := r.export(t).GetPartialSuccess(); r.code != 200 || ps.GetRejectedSpans() != 1 || !strings.Contains(ps.GetErrorMessage(), "trace contract") {
		t.Fatalf("strict: %d %s", r.code, r.body)
	}
}

// otlpJSON encodes req as OTLP/JSON: protojson with ids in hex, the way
// exporters send them.
func otlpJSON(t testing.TB, req *coltracepb.ExportTraceServiceRequest) []byte {
	t.Helper()
	out, err := protojson.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				for _, id := range [][]byte{sp.GetTraceId(), sp.GetSpanId(), sp.GetParentSpanId()} {
					if len(id) > 0 {
						b64 := `"` + base64.StdEncoding.EncodeToString(id) + `"`
						out = bytes.ReplaceAll(out, []byte(b64), []byte(`"`+hex.EncodeToString(id)+`"`))
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, out); err != nil { // protojson's spacing varies by build
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHandlerErrors(t *testing.T) {
	s := newStore(t)
	srv := serveOTLP(t, s, Config{Limits: httpbody.Limits{MaxBody: 1000}})
	url := srv.URL + "/v1/traces"
	r := postOTLP(t, url, "application/x-protobuf", []byte{0xff, 0xff, 0xff})
	if r.code != 400 || r.status(t).GetCode() != codeInvalidArgument || !strings.Contains(r.status(t).GetMessage(), "malformed") {
		t.Errorf("bad protobuf: %d %q", r.code, r.body)
	}
	r = postOTLP(t, url, "application/json", []byte(`{"resourceSpans":[{`))
	if r.code != 400 || r.header.Get("Content-Type") != "application/json" || r.status(t).GetMessage() == "" {
		t.Errorf("bad JSON: %d %q", r.code, r.body)
	}
	r = postOTLP(t, url, "application/json", gz([]byte(`{}`))[:5], "Content-Encoding", "gzip")
	if r.code != 400 {
		t.Errorf("bad gzip: %d", r.code)
	}
	if r = postOTLP(t, url, "application/json", bytes.Repeat([]byte(" "), 1001)); r.code != 413 {
		t.Errorf("over the limit: %d", r.code)
	}
	if r = postOTLP(t, url, "application/json", gz(bytes.Repeat([]byte(" "), 5000)), "Content-Encoding", "gzip"); r.code != 413 {
		t.Errorf("over the limit once unzipped: %d", r.code)
	}
	if r = postOTLP(t, url, "text/plain", []byte(`{}`)); r.code != 415 {
		t.Errorf("text/plain: %d", r.code)
	}
	if r = postOTLP(t, url, "application/json", []byte(`{}`), "Content-Encoding", "br"); r.code != 415 {
		t.Errorf("brotli: %d", r.code)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	if r = postOTLP(t, url, "application/json", []byte(`{}`)); r.code != 200 || r.export(t).GetPartialSuccess() != nil {
		t.Errorf("empty request: %d %q", r.code, r.body)
	}
}

func TestHandlerOverloadAndStoreFailure(t *testing.T) {
	s := newStore(t)
	// One body's first buffer (4 KiB) is all the bytes in flight allowed.
	srv := serveOTLP(t, s, Config{Limits: httpbody.Limits{MaxInFlightBytes: 4 << 10}})
	url := srv.URL + "/v1/traces"
	// Hold the bytes in flight with a request whose body never ends (a
	// slow sender holds no slot, only the bytes it has sent).
	pr, pw := io.Pipe()
	held := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", url, pr)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			held <- 0
			return
		}
		resp.Body.Close()
		held <- resp.StatusCode
	}()
	pw.Write([]byte(`{"resourceSpans":[`))
	deadline := time.Now().Add(10 * time.Second)
	var r reply
	for time.Now().Before(deadline) {
		if r = postOTLP(t, url, "application/json", []byte(`{}`)); r.code == 429 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r.code != 429 || r.header.Get("Retry-After") == "" || r.status(t).GetCode() != codeResourceExhausted {
		t.Fatalf("overload: %d %q", r.code, r.body)
	}
	pw.Write([]byte(`]}`))
	pw.Close()
	if code := <-held; code != 200 {
		t.Fatalf("held request: %d", code)
	}
	// The store fails: 503 with Retry-After, nothing acknowledged.
	if err := s.Conn.Exec(context.Background(), "DROP TABLE agent_events"); err != nil {
		t.Fatal(err)
	}
	pb, _ := proto.Marshal(request(nil, span(t, "0000000000000401", "", "chat", map[string]any{"gen_ai.operation.name": "chat"})))
	r = postOTLP(t, url, "application/x-protobuf", pb)
	if r.code != 503 || r.header.Get("Retry-After") == "" || r.status(t).GetCode() != codeUnavailable {
		t.Fatalf("store failure: %d %q", r.code, r.body)
	}
}

// The OTLP specification's own example (one generic span, no run) is not
// stored: it maps to no event kind and has no run to be listed on. The
// answer says so in partial_success, and ingest_log records exactly what
// the caller was told.
func TestSpecExampleIsReportedNotDropped(t *testing.T) {
	s := newStore(t)
	srv := serveOTLP(t, s, Config{Defaults: Defaults{Tenant: "acme", Environment: "prod", Release: "1"}})
	b, err := os.ReadFile("testdata/spec/trace.json")
	if err != nil {
		t.Fatal(err)
	}
	r := postOTLP(t, srv.URL+"/v1/traces", "application/json", restamp.ToNow(b, time.Now()))
	ps := r.export(t).GetPartialSuccess()
	if r.code != 200 || ps.GetRejectedSpans() != 1 || !strings.Contains(ps.GetErrorMessage(), "maps to no event kind") {
		t.Fatalf("%d %v", r.code, ps)
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != 0 {
		t.Fatalf("stored %d", n)
	}
	if n := count(t, s, "SELECT count() FROM ingest_log WHERE source = 'otlp' AND rejected = 1 AND accepted = 0"); n != 1 {
		t.Fatalf("%d ingest_log rows say rejected 1", n)
	}
}

// What partial_success says equals what ingest_log records, request by
// request: unusable spans, expired spans and stored ones.
func TestPartialSuccessMatchesIngestLog(t *testing.T) {
	s := newStore(t)
	srv := serveOTLP(t, s, Config{})
	var spans []*tracepb.Span
	for i := 0; i < 4; i++ {
		bad := span(t, fmt.Sprintf("00000000000004%02d", i), "", "chat", nil)
		bad.StartTimeUnixNano = 0
		spans = append(spans, bad)
	}
	old := span(t, "0000000000000499", "", "chat", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})
	old.StartTimeUnixNano = uint64(time.Now().Add(-200 * 24 * time.Hour).UnixNano())
	old.EndTimeUnixNano = old.StartTimeUnixNano + 1e9
	good := span(t, "0000000000000498", "", "chat", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})
	pb, _ := proto.Marshal(request(map[string]any{"deployment.environment.name": "prod"}, append(spans, old, good)...))
	r := postOTLP(t, srv.URL+"/v1/traces", "application/x-protobuf", pb)
	ps := r.export(t).GetPartialSuccess()
	if r.code != 200 || ps.GetRejectedSpans() != 5 || !strings.Contains(ps.GetErrorMessage(), "expired") {
		t.Fatalf("%d %v", r.code, ps)
	}
	var acc, rej, exp uint64
	if err := s.Conn.QueryRow(context.Background(), "SELECT accepted, rejected, expired FROM ingest_log WHERE source = 'otlp'").Scan(&acc, &rej, &exp); err != nil {
		t.Fatal(err)
	}
	if acc != 1 || rej != 4 || exp != 1 || acc+rej+exp != 6 {
		t.Fatalf("ingest_log: accepted %d rejected %d expired %d; the caller was told 5 not stored, 1 stored", acc, rej, exp)
	}
	if n := count(t, s, "SELECT count() FROM agent_events"); n != 1 {
		t.Fatalf("stored %d", n)
	}
}
