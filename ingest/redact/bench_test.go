package redact

import (
	"runtime"
	"strings"
	"testing"
)

// cleanText is ~1 KB of typical trace text without secrets: prose, a URL,
// key: value pairs, numbers and punctuation.
var cleanText = func() string {
	s := `The agent called tool "web.search" with query: "quarterly revenue for ACME Corp 2025" ` +
		`and received 7 results from https://www.example.com/reports/2025/q3?page=2&sort=desc. ` +
		`Step 3 of 12: summarising the retrieved documents (total 18,204 tokens, latency 1.42s). ` +
		`Model output: ACME's revenue grew 12.5% year over year to $4.2B, driven by cloud services; ` +
		`operating margin was 21%. Next action = "write_report", retries=0, status: ok. ` +
		`User asked to compare with Globex Inc. and Initech, then draft an e-mail to the finance team ` +
		`about the variance between the forecast (3.9B) and the actual figure. The evaluator scored ` +
		`the answer 0.87 on faithfulness and 0.91 on relevance; run_id=7f3c9a2e-41b8-4d0e-9c55-2f6a1b0e8d43. `
	for len(s) < 1024 {
		s += "Intermediate reasoning: check the sources, cite them, and keep the summary under 200 words. "
	}
	return s[:1024]
}()

// dirtyText is ~1 KB of trace text with eight secrets of different types.
var dirtyText = func() string {
	s := `curl -H "Authorization: Bearer sk-live-4f9a8b7c6d5e4f3a2b1c" https://api.example.com/v1/charges ` +
		`-d '{"card":"4111 1111 1111 1111","email":"jane.doe@example.com"}' && export AWS_ACCESS_KEY_ID=` + awsID +
		` aws_secret_access_key=` + awsSec + ` GITHUB_TOKEN=` + ghpTok + ` then the tool returned ` +
		`{"id_token":"` + jwtTok + `","password":"hunter2"} and the agent summarised the result for the user. `
	for len(s) < 1024 {
		s += "Intermediate reasoning: check the sources, cite them, and keep the summary short. "
	}
	return s[:1024]
}()

// loopCPU runs f in a b.Loop and also reports the CPU time the goroutine's
// thread spent per call ("cpu-ns/op"), which unlike ns/op does not grow
// when other processes compete for the CPU.
func loopCPU(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPUTime()
	for b.Loop() {
		f()
	}
	if d := threadCPUTime() - t0; d > 0 && b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkStringClean(b *testing.B) {
	r := New(DefaultConfig())
	if r.String(cleanText, nil) != cleanText {
		b.Fatal("clean text was changed")
	}
	b.SetBytes(int64(len(cleanText)))
	b.ReportAllocs()
	loopCPU(b, func() { r.String(cleanText, nil) })
}

func BenchmarkStringDirty(b *testing.B) {
	r := New(DefaultConfig())
	c := Counts{}
	if out := r.String(dirtyText, c); c.Total() != 8 || strings.Contains(out, awsID) {
		b.Fatalf("dirty text: %v %q", c, out)
	}
	b.SetBytes(int64(len(dirtyText)))
	b.ReportAllocs()
	loopCPU(b, func() { r.String(dirtyText, c) })
}

func BenchmarkValueClean(b *testing.B) {
	r := New(DefaultConfig())
	v := map[string]any{
		"input":  cleanText[:300],
		"output": cleanText[300:700],
		"args":   []any{"q", map[string]any{"query": "weather in Paris", "limit": 5.0}},
		"attrs":  map[string]any{"model": "gpt-x", "max_tokens": 512.0, "tool": "web.search"},
	}
	b.ReportAllocs()
	loopCPU(b, func() { r.Value(v, nil) })
}

// dirtyVendorText is ~1 KB of trace text with eight secrets of the vendor
// and context types: OpenAI, Stripe, Google, Anthropic, a Postgres URL
// password, an Authorization header of another scheme, a session cookie
// and a dotted card number.
var dirtyVendorText = func() string {
	s := `the agent read .env: OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z and STRIPE=sk_live_51Hx8aBcDeFgHiJkLmNoPqRsT, ` +
		`then called https://maps.example.com/geo?key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW with ` +
		`ANTHROPIC=sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe and db postgres://app:Tr0ub4dor3x@db.internal:5432/main. ` +
		"Headers sent:\nAuthorization: SSWS 00QCjAl4MlV-WPXM8cUqTa5XkEYsRf\nCookie: theme=dark; sessionid=9f8e7d6c5b4a39281706; lang=en\n" +
		`The user pasted card 4111.1111.1111.1111 by mistake. `
	for len(s) < 1024 {
		s += "Intermediate reasoning: check the sources, cite them, and keep the summary short. "
	}
	return s[:1024]
}()

func BenchmarkStringDirtyVendor(b *testing.B) {
	r := New(DefaultConfig())
	c := Counts{}
	if out := r.String(dirtyVendorText, c); c.Total() != 8 || strings.Contains(out, "Tr0ub4dor3x") {
		b.Fatalf("dirty text: %v %q", c, out)
	}
	b.SetBytes(int64(len(dirtyVendorText)))
	b.ReportAllocs()
	loopCPU(b, func() { r.String(dirtyVendorText, c) })
}

var byteLoopSink int

// BenchmarkByteLoop is the baseline: a plain loop over the bytes of the
// same clean KB that counts the bytes a detector could start at, the
// least any redactor that looks at every byte does.
func BenchmarkByteLoop(b *testing.B) {
	b.SetBytes(int64(len(cleanText)))
	loopCPU(b, func() {
		n := 0
		for i := 0; i < len(cleanText); i++ {
			switch cleanText[i] {
			case ':', '=', '@', '-', '_', '.':
				n++
			}
		}
		byteLoopSink = n
	})
}
