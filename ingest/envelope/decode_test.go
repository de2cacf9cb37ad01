package envelope

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// base is a minimal decodable model event; tests append fields to it.
const base = `"kind":"model","trace_id":"t1","span_id":"s1","run_id":"r1","tenant":"acme","environment":"prod","release":"a@1","ts":"2026-11-02T09:15:00Z"`

func line(extra string) []byte {
	if extra == "" {
		return []byte("{" + base + "}")
	}
	return []byte("{" + base + "," + extra + "}")
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"int from string", `"input_tokens":"12"`, `field "input_tokens": want integer, got string`},
		{"int fractional", `"input_tokens":12.5`, `field "input_tokens": want integer, got fractional number`},
		{"int overflow", `"input_tokens":9223372036854775808`, `field "input_tokens": want integer, got number out of integer range`},
		{"int float overflow", `"retry_count":1e19`, `field "retry_count": want integer, got number out of integer range`},
		{"int from bool", `"retry_count":true`, `field "retry_count": want integer, got boolean`},
		{"float from string", `"cost_usd":"0.1"`, `field "cost_usd": want number, got string`},
		{"float overflow", `"cost_usd":1e400`, `field "cost_usd": want number, got number out of range`},
		{"string from number", `"model":4`, `field "model": want string, got number`},
		{"string from object", `"status":{}`, `field "status": want string, got object`},
		{"bool from string", `"passed":"true"`, `field "passed": want boolean, got string`},
		{"strings from string", `"source_ids":"a"`, `field "source_ids": want array of strings, got string`},
		{"strings with number", `"read_ids":["a",1]`, `field "read_ids": want array of strings, got array containing number`},
		{"attributes array", `"attributes":[]`, `field "attributes": want object, got array`},
		{"freshness string", `"freshness":"old"`, `field "freshness": want object {"stale": boolean, "age_s": number}, got string`},
		{"freshness missing age", `"freshness":{"stale":true}`, `field "freshness.age_s": missing, want number`},
		{"freshness bad stale", `"freshness":{"stale":1,"age_s":1}`, `field "freshness.stale": want boolean, got number`},
		{"freshness bad age", `"freshness":{"stale":true,"age_s":"1"}`, `field "freshness.age_s": want number, got string`},
		{"freshness unknown key", `"freshness":{"stale":true,"age_s":1,"x":1}`, `field "freshness": unknown key`},
		{"freshness dup key", `"freshness":{"stale":true,"stale":false,"age_s":1}`, `field "freshness.stale": appears more than once`},
		{"expires_at bad", `"expires_at":"tomorrow"`, `field "expires_at": want RFC 3339 timestamp string, got a string that does not parse`},
		{"dataset bad", `"dataset":"refunds"`, `field "dataset": want "name@vN"`},
		{"dataset no digits", `"dataset":"refunds@v"`, `field "dataset": want "name@vN"`},
		// Names and versions no dataset can have: each used to decode and
		// then match no dataset (datasets/dsref is the one grammar).
		{"dataset upper case and slash", `"dataset":"Support/Bot@v1"`, `field "dataset": want "name@vN"`},
		{"dataset slash", `"dataset":"refunds/eu@v1"`, `field "dataset": want "name@vN"`},
		{"dataset version zero", `"dataset":"refunds@v0"`, `field "dataset": want "name@vN"`},
		{"dataset leading zero", `"dataset":"refunds@v01"`, `field "dataset": want "name@vN"`},
		{"dataset latest", `"dataset":"refunds@latest"`, `field "dataset": want "name@vN"`},
		{"dataset version too large", `"dataset":"refunds@v4294967296"`, `field "dataset": want "name@vN"`},
		{"duplicate known", `"model":"a","model":"b"`, `field "model": appears more than once`},
		{"duplicate escaped", `"model":"a","\u006dodel":"b"`, `field "model": appears more than once`},
		{"duplicate unknown", `"x":1,"x":2`, `field "x": appears more than once`},
		{"nested too deep", `"args":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001), `field "args": nesting too deep`},
		{"free-form overflow", `"args":{"n":[1e999]}`, `field "args": number out of range`},
		{"syntax in field", `"args":{"a":tru}`, `field "args": invalid JSON at byte`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(line(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode error = %v, want it to contain %q", err, tt.want)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error is %T, want *DecodeError", err)
			}
		})
	}
}

func TestDecodeLineErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, "empty line"},
		{"  \n", "empty line"},
		{`[1]`, "want a JSON object, got array"},
		{`"run"`, "want a JSON object, got string"},
		{`null`, "want a JSON object, got null"},
		{`{`, "invalid JSON at byte 1"},
		{`{"kind":"run",}`, "invalid JSON at byte 14"},
		{`{"kind":"run"} {}`, "unexpected data after the object at byte 15"},
		{`{"kind":"run"}x`, "unexpected data after the object"},
		{`{'kind':'run'}`, "invalid JSON at byte 1"},
		{`{"a":01}`, "invalid JSON"},
		{`{"a":"x` + "\x01" + `"}`, "invalid JSON"},
		{`{"a":"\x"}`, "invalid JSON"},
		{`{"a":"\u12"}`, "invalid JSON"},
		{`{"a":-}`, "invalid JSON"},
		{`{"a":1.}`, "invalid JSON"},
		{`{"a":1e}`, "invalid JSON"},
		{`{"a":nul}`, "invalid JSON"},
		{`{"ts":"2026-11-02T09:15:00Z"}`, `field "kind": missing, want one of run|model|tool|retrieval|memory|policy|approval|eval`},
		{`{"kind":null,"ts":"2026-11-02T09:15:00Z"}`, `field "kind": missing`},
		{`{"kind":"agent","ts":"2026-11-02T09:15:00Z"}`, `field "kind": want one of run|model|tool|retrieval|memory|policy|approval|eval, got another string`},
		{`{"kind":"Run","ts":"2026-11-02T09:15:00Z"}`, `field "kind": want one of`},
		{`{"kind":"run"}`, `field "ts": missing, want RFC 3339 timestamp string`},
		{`{"kind":"run","ts":null}`, `field "ts": missing`},
		{`{"kind":"run","ts":"2026-11-02 09:15:00"}`, `field "ts": want RFC 3339 timestamp string, got a string that does not parse`},
		{`{"kind":"run","ts":"2026-11-02"}`, `field "ts": want RFC 3339`},
		{`{"kind":"run","ts":1762074900}`, `field "ts": want RFC 3339 timestamp string, got number`},
		{`{"kind":"run","ts":"0001-01-01T00:00:00Z"}`, `field "ts": want RFC 3339 timestamp string in UTC years`},
		{`{"kind":"run","ts":"9999-12-31T23:59:59-01:00"}`, `field "ts": want RFC 3339 timestamp string in UTC years`},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decode(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

// TestDecodeErrorsNeverQuoteValues plants a secret in the value that makes
// decoding fail and checks the error does not repeat it.
func TestDecodeErrorsNeverQuoteValues(t *testing.T) {
	const secret = "sk-live-SECRET42"
	bad := []string{
		`{"kind":"` + secret + `","ts":"2026-11-02T09:15:00Z"}`,
		`{"kind":"run","ts":"` + secret + `"}`,
		`{"kind":"run","ts":"2026-11-02T09:15:00Z","expires_at":"` + secret + `"}`,
		`{"kind":"run","ts":"2026-11-02T09:15:00Z","dataset":"` + secret + `"}`,
		`{"kind":"run","ts":"2026-11-02T09:15:00Z","input_tokens":"` + secret + `"}`,
		`{"kind":"run","ts":"2026-11-02T09:15:00Z","source_ids":["` + secret + `",7]}`,
		`{"kind":"run","ts":"2026-11-02T09:15:00Z","args":{"token":"` + secret + `"` + `,}}`,
		`{"kind":"run","ts":"2026-11-02T09:15:00Z","args":"` + secret + "\x00" + `"}`,
		`{"kind":"run","ts":"2026-11-02T09:15:00Z","x":"` + secret + `"} trailing ` + secret,
		`["` + secret + `"]`,
		`{"` + secret + ``,
		`{"kind":"run","ts":"2026-11-02T09:15:00Z","freshness":{"stale":true,"age_s":1,"` + secret + `":1}}`,
		`{"kind":"run","ts":"2026-11-02T09:15:00Z","cost_usd":` + "1" + strings.Repeat("0", 400) + `}`,
	}
	for _, in := range bad {
		_, err := Decode([]byte(in))
		if err == nil {
			t.Errorf("Decode(%q) succeeded, want error", in)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "00000") {
			t.Errorf("error quotes a value: %v", err)
		}
	}
}

func TestDecodeUnknownFieldsGoToAttributes(t *testing.T) {
	ev, err := Decode(line(`"attributes":{"gen_ai.system":"openai","team":"core"},"team":"growth","sdk":{"name":"py","v":2},"_envelope.team":1`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"gen_ai.system":            "openai",
		"team":                     "core",
		"_envelope.team":           1.0,      // its own name was free
		"_envelope._envelope.team": "growth", // team and _envelope.team were taken
		"sdk":                      map[string]any{"name": "py", "v": 2.0},
	}
	if !reflect.DeepEqual(ev.Attributes, want) {
		t.Errorf("Attributes = %#v\nwant %#v", ev.Attributes, want)
	}
	chain := `"x":0`
	for k := "x"; len(k) < 8*len(attrPrefix)+1; {
		k = attrPrefix + k
		chain += `,"` + k + `":0`
	}
	_, err = Decode(line(`"attributes":{` + chain + `},"x":1`))
	if err == nil || !strings.Contains(err.Error(), `field "x": unknown field collides`) {
		t.Errorf("collision beyond maxPrefix: err = %v", err)
	}
	ev, err = Decode(line(`"Model":"x"`)) // names are case-sensitive
	if err != nil || ev.Model != "" || ev.Attributes["Model"] != "x" {
		t.Errorf("Model: got %q, attributes %v, err %v", ev.Model, ev.Attributes, err)
	}
}

func TestDecodeValues(t *testing.T) {
	ev, err := Decode(line(`"input_tokens":12.0,"output_tokens":1e3,"retry_count":-0,"cost_usd":3,` +
		`"latency_ms":1.5e2,"score":null,"model":null,"citation_required":false,"source_ids":[],` +
		`"args":{"n":1,"big":12345678901234567890,"list":[true,null,"s",{}]},"output":"",` +
		`"expires_at":"2026-11-02T12:00:00.5+02:00","stop_reason":"caf\u00e9 \ud83d\ude00","actor":"bad` + "\xff" + `utf8",` +
		`"\u0074ask":"escaped key","dataset":"refund-requests.eu@v12","case_id":"c1"`))
	if err != nil {
		t.Fatal(err)
	}
	i64 := func(p *int64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	f64 := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"input_tokens", i64(ev.InputTokens), int64(12)},
		{"output_tokens", i64(ev.OutputTokens), int64(1000)},
		{"retry_count", i64(ev.RetryCount), int64(0)},
		{"cost_usd", f64(ev.CostUSD), 3.0},
		{"latency_ms", f64(ev.LatencyMS), 150.0},
		{"score", f64(ev.Score), nil},
		{"model", ev.Model, ""},
		{"citation_required", *ev.CitationRequired, false},
		{"source_ids", ev.SourceIDs, []string(nil)},
		{"args", ev.Args, map[string]any{"n": 1.0, "big": 12345678901234567890.0, "list": []any{true, nil, "s", map[string]any{}}}},
		{"output", ev.Output, ""},
		{"expires_at", *ev.ExpiresAt, time.Date(2026, 11, 2, 10, 0, 0, 5e8, time.UTC)},
		{"ts", ev.TS, time.Date(2026, 11, 2, 9, 15, 0, 0, time.UTC)},
		{"stop_reason", ev.StopReason, "café 😀"},
		{"actor", ev.Actor, "bad\uFFFDutf8"},
		{"task", ev.Task, "escaped key"},
		{"dataset", ev.Dataset, "refund-requests.eu@v12"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if ev.EventID != DeriveID(ev) {
		t.Errorf("EventID = %q, want DeriveID %q", ev.EventID, DeriveID(ev))
	}
}

func TestDecodeKeepsGivenEventID(t *testing.T) {
	ev, err := Decode(line(`"event_id":"evt-123"`))
	if err != nil || ev.EventID != "evt-123" {
		t.Fatalf("EventID = %q, err %v", ev.EventID, err)
	}
	ev, err = Decode(line(`"event_id":""`))
	if err != nil || len(ev.EventID) != 32 {
		t.Fatalf("empty event_id: EventID = %q, err %v; want derived", ev.EventID, err)
	}
}

// TestDecodeMatchesEncodingJSON checks that, on the valid examples,
// Decode fills the same Event as encoding/json.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for i, l := range readLines(t, "testdata/valid.ndjson") {
		got, err := Decode(l)
		if err != nil {
			t.Fatal(err)
		}
		var want Event
		if err := json.Unmarshal(l, &want); err != nil {
			t.Fatal(err)
		}
		want.EventID = got.EventID
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("valid.ndjson:%d: Decode = %+v\nencoding/json = %+v", i+1, got, &want)
		}
	}
}

// benchModel and benchTool are realistic events of about 1 KB.
var (
	benchModel = []byte(`{"kind":"model","event_id":"01JCZ6Q4W8M2T7X9B3K5N1R6PA","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"a1b2c3d4e5f60718","parent_span_id":"00f067aa0ba902b7","run_id":"run-2026-11-02-0001","tenant":"acme-corp","environment":"production","release":"support-agent@1.4.0+build.2231","ts":"2026-11-02T09:15:00.120Z","duration_ms":1312.4,"status":"ok","dataset":"refund-requests@v3","case_id":"case-017","model":"gpt-4o-2024-08-06","prompt_version":"triage-system-prompt@7","input_ref":"s3://evalhouse-blobs/acme/run-2026-11-02-0001/turn-1/input.json","output_status":"stop","input_tokens":1840,"output_tokens":212,"cost_usd":0.00672,"latency_ms":1290.4,"attributes":{"gen_ai.system":"openai","gen_ai.request.temperature":0.2,"gen_ai.request.top_p":1,"gen_ai.request.max_tokens":1024,"gen_ai.response.id":"chatcmpl-AQ2x7c9RkV1oZ3mN8pLq4sT6uW0y","gen_ai.response.finish_reasons":["stop"],"gen_ai.usage.cached_input_tokens":1024,"server.address":"api.openai.com","http.response.status_code":200,"agent.framework":"langgraph","agent.graph.node":"triage","agent.step":3,"sdk.name":"evalhouse-python","sdk.version":"0.9.2","host.name":"worker-7f9c6d5b8-x2kqp","deployment.region":"eu-west-1"}}`)
	benchTool  = []byte(`{"kind":"tool","event_id":"01JCZ6Q4W8M2T7X9B3K5N1R6PB","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"b2c3d4e5f6071829","parent_span_id":"00f067aa0ba902b7","run_id":"run-2026-11-02-0001","tenant":"acme-corp","environment":"production","release":"support-agent@1.4.0+build.2231","ts":"2026-11-02T09:15:02.004Z","duration_ms":245.7,"status":"ok","tool":"payments.refund","args":{"order_id":"1182","customer_id":"cus_9f8e7d6c5b4a","amount":{"value":49.9,"currency":"EUR"},"reason":"duplicate_charge","notify_customer":true,"line_items":[{"sku":"SKU-1001","qty":1,"price":49.9}],"metadata":{"ticket":"ZD-448812","channel":"chat"}},"authorization":"allowed","retry_count":0,"idempotency_key":"refund-1182-duplicate-charge-2026-11-02","side_effect":"external","attributes":{"tool.provider":"stripe","tool.endpoint":"POST /v1/refunds","http.response.status_code":200,"agent.framework":"langgraph","agent.graph.node":"act","agent.step":5,"sdk.name":"evalhouse-python","sdk.version":"0.9.2","host.name":"worker-7f9c6d5b8-x2kqp","deployment.region":"eu-west-1","approval.ref":"apr-2026-11-02-0007"}}`)
)

func BenchmarkDecode(b *testing.B) {
	noID := func(l []byte) []byte {
		return []byte(strings.Replace(string(l), `"event_id":"01JCZ6Q4W8M2T7X9B3K5N1R6PA",`, "", 1))
	}
	for _, bc := range []struct {
		name string
		line []byte
	}{
		{"model", benchModel},
		{"tool", benchTool},
		{"model-derived-id", noID(benchModel)},
	} {
		if _, err := Decode(bc.line); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.line)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(bc.line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Reference: encoding/json into the same struct, without the checks.
	b.Run("encoding-json-model", func(b *testing.B) {
		b.SetBytes(int64(len(benchModel)))
		b.ReportAllocs()
		for b.Loop() {
			var ev Event
			if err := json.Unmarshal(benchModel, &ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
