package ingest_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/ingest"
	"github.com/evalhouse/evalhouse/ingest/leaktest"
	"github.com/evalhouse/evalhouse/ingest/redact"
)

// Fake secrets today's detectors catch: GitHub tokens (ghp_ and 36
// alphanumerics) and AWS access key ids (AKIA and 16).
const (
	gh1  = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
	gh2  = "ghp_Zy9Xw7Vu5Ts3Rq1Po9Nm7Lk5Ji3Hg1Fe9Dc7"
	gh3  = "ghp_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8"
	aws1 = "AKIAQWERTYUIOPASDFGH"
	aws2 = "AKIAZXCVBNMLKJHGFDSA"
	aws3 = "AKIAPOIUYTREWQLKJHGF"
	aws4 = "AKIAMNBVCXZASDFGHJKL"
)

// planted lists every planted value, and the tails an escaped spelling
// leaves readable (`\u0041KIA…` shows "KIA…" and the 16 characters after).
var planted = []string{gh1, gh2, gh3, aws1, aws2, aws3, aws4, gh1[4:], gh3[4:], aws1[4:], aws2[4:], aws3[4:], aws4[4:]}

// TestSecretsInKeysNamesAndEscapes drives an envelope ingest as a leaking
// agent and an attacker would: secrets as attribute, args and unknown
// top-level keys (gh2 sorts before gh1, so it is #1), behind JSON and URL escapes, as a repeated key that the
// rejection reason names, inside lines that are dead-lettered. None is
// found in what the store holds (every column), the summary, the
// dead-letter file or the debug log; keys become numbered markers.
func TestSecretsInKeysNamesAndEscapes(t *testing.T) {
	s := migrated(t)
	tool := func(i int, args, extra string) string {
		return strings.Replace(event("tool", i, extra), `"args":{"order":"ORD-1"}`, `"args":`+args, 1)
	}
	lines := []string{
		// 1: secret keys in attributes (two of one type), args and an unknown top-level field.
		tool(1, `{"`+aws1+`":1,"nested":{"`+gh1+`":"x"}}`,
			`"attributes":{"`+gh1+`":"a","`+gh2+`":"b","plain":"c"},"`+aws2+`":"unknown field"`),
		// 2: secrets behind escapes: a double-escaped value, a URL-encoded query, a JSON-escaped key.
		tool(2, `{"note":"\\u0041`+aws3[1:]+`","url":"https://api.example.com/v1?key=%41`+aws4[1:]+`&x=1"}`,
			`"attributes":{"\u0067hp_`+gh3[4:]+`":"escaped key"}`),
		// 3: a repeated key that is a token: the reason names the key.
		`{"kind":"tool","` + gh3 + `":1,"` + gh3 + `":2}`,
		// 4: malformed, hiding a key id behind a JSON escape: dead-lettered raw.
		`{"kind":"tool","args":{"k":"\u0041` + aws1[1:] + `"}`,
		// 5: rejected (ts out of range), a URL-encoded key id in its raw line.
		`{"kind":"tool","ts":"1800-01-01T00:00:00Z","args":{"u":"https://x.example/?k=%41` + aws2[1:] + `"}}`,
	}
	var dead, logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sum := ingestString(t, s, ingest.Options{DeadLetter: &dead, Log: log}, "leak.ndjson", strings.Join(lines, "\n")+"\n")
	if sum.Accepted != 2 || sum.Rejected != 3 {
		t.Fatalf("summary %+v", sum)
	}
	stored := leaktest.Stored(t, s.Conn)
	js, _ := json.Marshal(sum)
	leaktest.Absent(t, planted, map[string]string{"the store": stored, "the summary": string(js),
		"the dead-letter file": dead.String(), "the debug log": logs.String()})
	for _, want := range []string{`"[REDACTED:github_token#1]":"b"`, `"[REDACTED:github_token#2]":"a"`, `"plain":"c"`,
		`"[REDACTED:aws_key#1]":"unknown field"`, `"[REDACTED:aws_key#1]":1`, `"nested":{"[REDACTED:github_token#1]":"x"}`,
		`"[REDACTED:github_token#1]":"escaped key"`, `?key=[REDACTED:aws_key]&x=1`} {
		if !strings.Contains(stored, want) {
			t.Errorf("the store lacks %s:\n%s", want, stored)
		}
	}
	// Planted: gh1, gh2 and gh3 as attribute keys, aws1 and gh1 in args keys,
	// aws2 as a top-level key; aws3 and aws4 behind escapes.
	if sum.Redactions[redact.TypeGitHubToken] != 4 || sum.Redactions[redact.TypeAWSKey] != 4 {
		t.Errorf("redactions %v, want 4 github_token and 4 aws_key", sum.Redactions)
	}
	if !strings.Contains(dead.String(), `"reason":"envelope: field \"[REDACTED:github_token]\": appears more than once"`) {
		t.Errorf("the dead-letter file does not show the redacted key:\n%s", dead.String())
	}
	if n := strings.Count(dead.String(), "\n"); n != 3 {
		t.Errorf("%d dead letters, want 3:\n%s", n, dead.String())
	}
}

// Numeric, Luhn-valid identifiers (what a card detector flags) come
// through byte for byte: the event's idempotency_key and span_id, and id
// attributes; the same number in free text is still redacted.
func TestLuhnIdentifiersKept(t *testing.T) {
	s := migrated(t)
	const card = "4111111111111111"
	ev := strings.Replace(event("tool", 1, `"attributes":{"otel.parent_span_id":"`+luhn[3]+`","note":"paid with `+card+`"}`),
		`"idempotency_key":"idem-1"`, `"idempotency_key":"`+luhn[2]+`"`, 1)
	ev = strings.Replace(ev, `"span_id":"sp001"`, `"span_id":"`+luhn[1]+`"`, 1)
	ev = strings.Replace(ev, `"args":{"order":"ORD-1"}`, `"args":{"order_id":"`+luhn[4]+`","items":[{"id":"`+luhn[0]+`"}]}`, 1)
	sum := ingestString(t, s, ingest.Options{}, "ids.ndjson", ev+"\n")
	if sum.Accepted != 1 || sum.Redactions[redact.TypeCardNumber] != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if n := count(t, s, "SELECT count() FROM agent_events WHERE idempotency_key = ? AND span_id = ?", luhn[2], luhn[1]); n != 1 {
		t.Errorf("idempotency_key or span_id altered (%d rows as sent):\n%s", n, leaktest.Stored(t, s.Conn))
	}
	stored := leaktest.Stored(t, s.Conn)
	for _, want := range []string{`"otel.parent_span_id":"` + luhn[3] + `"`, `"order_id":"` + luhn[4] + `"`, `"id":"` + luhn[0] + `"`, "paid with [REDACTED:card_number]"} {
		if !strings.Contains(stored, want) {
			t.Errorf("the store lacks %s:\n%s", want, stored)
		}
	}
}
