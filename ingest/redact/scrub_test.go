package redact

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// hiddenSecrets are fake secrets whose whole text one detector replaces.
var hiddenSecrets = []struct{ typ, value string }{
	{TypeAWSKey, awsID},
	{TypeGitHubToken, ghpTok},
	{TypeJWT, jwtTok},
	{TypeSlackToken, "xoxb-123456789012-abcdefABCDEF"},
	{TypeStripeKey, "sk_live_51Hx8aBcDeFgHiJkLmNoPqRsT"},
	{TypeGoogleAPIKey, "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"},
}

// escapings spell a secret behind escapes as a leaking agent or an
// attacker would: its first byte (or every byte) JSON-escaped once, twice
// or three times, percent-encoded once or twice, the two mixed, and
// inside a JSON string of a raw line (one more JSON layer).
var escapings = []struct {
	name string
	enc  func(string) string
}{
	{`\u`, func(v string) string { return uFirst(v, `\`) }},
	{`\\u`, func(v string) string { return uFirst(v, `\\`) }},
	{`\\\\u`, func(v string) string { return uFirst(v, `\\\\`) }},
	{`%XX`, func(v string) string { return fmt.Sprintf("%%%02X", v[0]) + v[1:] }},
	{`%25XX`, func(v string) string { return fmt.Sprintf("%%25%02X", v[0]) + v[1:] }},
	{`%5Cu`, func(v string) string { return uFirst(v, `%5C`) }},
	{`\u every byte`, func(v string) string {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			fmt.Fprintf(&b, `\u%04x`, v[i])
		}
		return b.String()
	}},
	{`%XX every byte`, func(v string) string {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			fmt.Fprintf(&b, "%%%02x", v[i])
		}
		return b.String()
	}},
	{`\\\\u in a raw line`, func(v string) string { return jsonString(uFirst(v, `\\\\`)) }},
	{`%25XX in a raw line`, func(v string) string { return jsonString(fmt.Sprintf("%%25%02X", v[0]) + v[1:]) }},
}

// uFirst spells v's first byte as the escape \u00XX with its backslash
// written as bs (`\`, `\\`, `%5C`, …).
func uFirst(v, bs string) string { return fmt.Sprintf("%su%04X", bs, v[0]) + v[1:] }

// jsonString is s as the inside of a JSON string, without the quotes.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestScrubNestedEscapes plants secrets behind every escaping in a raw
// JSON line and in plain text, and requires exactly the secret's original
// bytes replaced by a marker of its type, counted once, all else kept.
func TestScrubNestedEscapes(t *testing.T) {
	r := New(DefaultConfig())
	for _, sec := range hiddenSecrets {
		for _, esc := range escapings {
			enc := esc.enc(sec.value)
			for _, frame := range [][2]string{
				{`{"kind":"tool","args":{"note":"see `, ` now","path":"C:\\tmp\\x"}}`},
				{"curl -d q=1%26x%3D2 -H 'X: ", "' # \\n done"},
				{"", ""},
			} {
				in := frame[0] + enc + frame[1]
				want := frame[0] + Marker(sec.typ) + frame[1]
				c := Counts{}
				if got := Scrub(r, in, c); got != want {
					t.Errorf("%s %s: Scrub(%q)\n = %q\nwant %q", sec.typ, esc.name, in, got, want)
				}
				if c[sec.typ] != 1 || c.Total() != 1 {
					t.Errorf("%s %s: Scrub(%q) counted %v, want one %s", sec.typ, esc.name, in, c, sec.typ)
				}
			}
		}
	}
}

// TestScrubCleanEscapes: texts with backslashes and percent signs that
// hide no secret come out byte for byte, and uncounted.
func TestScrubCleanEscapes(t *testing.T) {
	r := New(DefaultConfig())
	for _, in := range []string{
		`C:\Users\dev\src\app.go`, `C:\\Users\\dev\\token.txt`, `\\server\share\keys`,
		`regex \d+\s*\w+ and \frac{1}{2}`,
		`{"msg":"line1\nline2 \"quoted\" \u00e9t\u00e9 \ud83d\ude00 \/path","n":1}`,
		`{"args":"{\"query\": \"weather in Paris\", \"limit\": 5}"}`,
		`100%25 sure, 50% off, %zz, %4, trailing %`, `https://x.example/a%20b?q=caf%C3%A9&y=%2F`,
		`nothing hidden: \u0041BC %41BC \\u0041BC %2541BC %5Cu0041BC`,
		`lone \ud800 surrogate, short \u12, bad \x41`, `\`, `%`, `\\\\\\`,
	} {
		c := Counts{}
		if got := Scrub(r, in, c); got != in || c.Total() != 0 {
			t.Errorf("Scrub(%q) = %q, counts %v; want it unchanged", in, got, c)
		}
	}
}

// TestScrubKeepsOtherEscapes: only a hidden secret's bytes change; the
// escapes around it, and visible secrets, are handled as before.
func TestScrubKeepsOtherEscapes(t *testing.T) {
	r := New(DefaultConfig())
	mAWS, mGH := Marker(TypeAWSKey), Marker(TypeGitHubToken)
	for _, c := range []struct{ in, want string }{
		{`{"k":"\u0041` + awsID[1:] + `"}`, `{"k":"` + mAWS + `"}`},
		{`https://x.example/?k=%41` + awsID[1:] + `&y=%2F`, `https://x.example/?k=` + mAWS + `&y=%2F`},
		{`a surrogate pair \ud83d\ude00 and \u0067hp_` + ghpTok[4:], `a surrogate pair \ud83d\ude00 and ` + mGH},
		{`{"k":"\u0022 %22 \\u0041` + awsID[1:] + `"}`, `{"k":"\u0022 %22 ` + mAWS + `"}`},
		{awsID + ` and \u0041` + awsID[1:] + ` and %2541` + awsID[1:], mAWS + ` and ` + mAWS + ` and ` + mAWS},
		{`\u0041` + awsID[1:] + `\n\u0041` + awsID[1:], mAWS + `\n` + mAWS},
		// A .env line after an escaped newline; a header's parameters between
		// escaped quotes, in a string left open (a malformed raw line).
		{`{"k":"a\nSTRIPE_KEY=N5VqXhc3ivRIAVF4jCDMi9xE\n"} open`, `{"k":"a\nSTRIPE_KEY=[REDACTED:credential]\n"} open`},
		{`{"open":"Authorization: Digest username=\"bob\", response=\"gygNODUs0eEdDYz0ODoX2Wgm1Frn9x\"`, `{"open":"Authorization: Digest [REDACTED:credential]`},
		// The example of docs/redaction.md.
		{`{"note":"\\u0041` + awsID[1:] + `","path":"C:\\tmp"}`, `{"note":"` + mAWS + `","path":"C:\\tmp"}`},
		{`[REDACTED:jwt] \\u0067hp_` + ghpTok[4:] + ` [REDACTED:jwt]`, `[REDACTED:jwt] ` + mGH + ` [REDACTED:jwt]`},
	} {
		cs := Counts{}
		if got := Scrub(r, c.in, cs); got != c.want {
			t.Errorf("Scrub(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
		if n := strings.Count(c.want, "[REDACTED:") - strings.Count(c.in, "[REDACTED:"); cs.Total() != n {
			t.Errorf("Scrub(%q) counted %v, want %d", c.in, cs, n)
		}
	}
}

// FuzzScrub checks, for any input: no panic; no secret is left at any
// escape level of the output; a second Scrub changes nothing; a text
// without escapes is redacted as String does; a JSON line stays valid
// JSON; and an AWS key planted behind two
// layers of JSON escapes and behind a double percent-encoding is gone.
func FuzzScrub(f *testing.F) {
	for _, s := range []string{
		`{"k":"\u0041KIAQWERTYUIOPASDFGH"}`, `%41KIAQWERTYUIOPASDFGH`, `\ud83d\ude00`, `\\u0041`, `%%4`, `\u12`,
		`{"a":"\\u0041KIAIOSFODNN7EXAMPLE"}`, `\\\\u0067hp_abcdefghijklmnopqrstuvwxyz0123456789`, `%5Cu0041%2541`,
		`token=%22abc%22`, `{"args":"{\"password\": \"p\\\"q\", \"n\": 1}"}`, `C:\\Users\\dev\\`,
	} {
		f.Add(s)
	}
	rs := []*Redactor{New(DefaultConfig()), New(Config{})}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range rs {
			checkScrub(t, r, s)
		}
	})
}

func checkScrub(t *testing.T, r *Redactor, s string) {
	t.Helper()
	out := Scrub(r, s, nil)
	if u, ok := unescape(out); ok {
		if red := r.String(u.text, nil); red != u.text {
			t.Fatalf("a secret is left behind escapes:\n in  %q\n out %q\n dec %q\n red %q", s, out, u.text, red)
		}
	}
	if again := Scrub(r, out, nil); again != out {
		t.Fatalf("Scrub not idempotent:\n in  %q\n out %q\n 2nd %q", s, out, again)
	}
	plain := r.String(s, nil)
	if !strings.ContainsAny(s, `%\`) && out != plain {
		t.Fatalf("Scrub(%q) = %q, differs from String %q without escapes", s, out, plain)
	}
	if json.Valid([]byte(plain)) && !json.Valid([]byte(out)) {
		t.Fatalf("Scrub(%q) = %q: no longer valid JSON", s, out)
	}
	for _, enc := range []string{uFirst(awsID, `\\`), fmt.Sprintf("%%25%02X", awsID[0]) + awsID[1:]} {
		if strings.Contains(s, awsID[1:]) {
			break // the input's own text, not the planted key, would be found
		}
		k := len(s) / 2
		planted := s[:k] + " " + enc + " " + s[k:]
		if got := Scrub(r, planted, nil); strings.Contains(got, awsID[1:]) {
			t.Fatalf("planted AWS key survived:\n in  %q\n out %q", planted, got)
		}
	}
}
