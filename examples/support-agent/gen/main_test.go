package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/pricing"
)

const exampleDir = ".."

func generate(t *testing.T) *Output {
	t.Helper()
	out, err := Generate()
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return out
}

// The committed files are exactly what the generator writes.
func TestFilesAreUpToDate(t *testing.T) {
	out := generate(t)
	for name, want := range out.Files {
		got, err := os.ReadFile(filepath.Join(exampleDir, name))
		if err != nil {
			t.Errorf("%s: %v (run `go run ./examples/support-agent/gen` from the repository root)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output: run `go run ./examples/support-agent/gen` from the repository root", name)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b := generate(t), generate(t)
	if !reflect.DeepEqual(a.Files, b.Files) || a.Summary != b.Summary {
		t.Fatal("two runs of Generate differ")
	}
}

// README.md quotes the printed counts verbatim.
func TestREADMEQuotesTheCounts(t *testing.T) {
	out := generate(t)
	readme, err := os.ReadFile(filepath.Join(exampleDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), out.Summary) {
		t.Errorf("README.md does not contain the generator's summary verbatim; paste this block into it:\n%s", out.Summary)
	}
}

// Every line of the events files decodes as an envelope event of a known kind,
// and uses only envelope field names.
func TestEventsDecodeAsEnvelope(t *testing.T) {
	known := map[string]bool{}
	typ := reflect.TypeOf(envelope.Event{})
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		known[name] = true
	}
	kinds := map[envelope.Kind]bool{}
	for _, k := range envelope.Kinds {
		kinds[k] = true
	}
	violations := map[string][]string{}
	for _, name := range []string{"events-2.3.1.ndjson", "events-2.4.0.ndjson", "events-2.4.1.ndjson"} {
		f, err := os.Open(filepath.Join(exampleDir, name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		line := 0
		for sc.Scan() {
			line++
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
				t.Fatalf("%s:%d: %v", name, line, err)
			}
			for k := range raw {
				if !known[k] {
					t.Errorf("%s:%d: field %q is not an envelope field", name, line, k)
				}
			}
			ev, err := envelope.Decode(sc.Bytes())
			if err != nil {
				t.Fatalf("%s:%d: %v", name, line, err)
			}
			e := *ev
			if e.Kind == envelope.KindModel && e.CostUSD == nil {
				// The pipeline prices it; the contract asks for it after that.
				if usd, ok := pricing.Default().Cost(e.Model, *e.InputTokens, *e.OutputTokens); ok {
					e.CostUSD = &usd
				}
			}
			for _, v := range envelope.Check(&e) {
				violations[name] = append(violations[name], v.String())
			}
			if !kinds[e.Kind] {
				t.Errorf("%s:%d: unknown kind %q", name, line, e.Kind)
			}
			if e.TS.IsZero() || e.Tenant != "acme" || e.RunID == "" {
				t.Errorf("%s:%d: missing ts, tenant or run_id", name, line)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Exactly the planted contract violations, and nothing else.
	for _, name := range []string{"events-2.3.1.ndjson", "events-2.4.1.ndjson"} {
		if v := violations[name]; len(v) != 0 {
			t.Errorf("%s breaks the trace contract: %v", name, v)
		}
	}
	want := []string{
		`retrieval event: field "freshness" missing`,
		`tool event: field "idempotency_key" missing`,
		`tool event: field "idempotency_key" missing`,
		`tool event: field "idempotency_key" missing`,
	}
	got := violations["events-2.4.0.ndjson"]
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("events-2.4.0.ndjson contract violations:\n got %v\nwant %v", got, want)
	}
}

func TestMalformedHasOneBadLine(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(exampleDir, "malformed.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("malformed.ndjson has %d lines, want 5", len(lines))
	}
	for i, l := range lines {
		if valid := json.Valid([]byte(l)); valid != (i != 2) {
			t.Errorf("line %d: valid JSON = %v", i+1, valid)
		}
	}
}

func TestAccidentalCards(t *testing.T) {
	if !luhn("4111111111111111") || luhn("4111111111111112") {
		t.Fatal("luhn is wrong")
	}
	if got := accidentalCards(`"id":"4111-1111-1111-1111"`, nil); len(got) != 1 {
		t.Errorf("dashed card not found: %v", got)
	}
	if got := accidentalCards(`"ts":"2026-11-20T09:00:00Z","n":1234`, nil); len(got) != 0 {
		t.Errorf("false positive: %v", got)
	}
}

// runsOf decodes an events file's run events by run_id, and its other events
// by run_id.
func runsOf(t *testing.T, b []byte) (runs map[string]*Event, children map[string][]*Event) {
	t.Helper()
	runs, children = map[string]*Event{}, map[string][]*Event{}
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		e := &Event{}
		if err := json.Unmarshal(line, e); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if e.Kind == "run" {
			runs[e.RunID] = e
		} else {
			children[e.RunID] = append(children[e.RunID], e)
		}
	}
	return runs, children
}

func reply(e *Event) string { return e.Output.(map[string]any)["reply"].(string) }

func message(e *Event) string {
	return e.Input.(map[string]any)["messages"].([]any)[0].(map[string]any)["content"].(string)
}

// 2.4.1, the fix, runs support-bot@v2: v1's cases with 2.3.1's replies
// (c016 now completes), and the incident case handled without leaking the
// reset link.
func TestFixRelease(t *testing.T) {
	out := generate(t)
	old, _ := runsOf(t, out.Files["events-2.3.1.ndjson"])
	regressed, _ := runsOf(t, out.Files["events-2.4.0.ndjson"])
	fix, children := runsOf(t, out.Files["events-2.4.1.ndjson"])

	var cases []string
	for _, e := range fix {
		if e.Environment == "staging" {
			if e.Dataset != "support-bot@v2" {
				t.Errorf("%s: dataset %q, want support-bot@v2", e.RunID, e.Dataset)
			}
			cases = append(cases, e.CaseID)
		}
		if e.StopReason == "max_turns" {
			t.Errorf("%s: max_turns", e.RunID)
		}
	}
	slices.Sort(cases)
	if len(cases) != 25 || cases[0] != "c001" || cases[23] != "c024" || cases[24] != incidentCaseID {
		t.Errorf("2.4.1 staging cases = %v, want c001..c024 and %s", cases, incidentCaseID)
	}
	for _, id := range cases[:24] {
		was, now := old["run-2.3.1-"+id], fix["run-2.4.1-"+id]
		if now == nil || now.CaseID != id || message(now) != message(was) {
			t.Errorf("%s: 2.4.1 does not replay 2.3.1's input", id)
			continue
		}
		if was.StopReason == "max_turns" {
			if now.StopReason != "completed" {
				t.Errorf("%s: 2.4.1 stop_reason %q, want completed", id, now.StopReason)
			}
			continue
		}
		if reply(now) != reply(was) || now.StopReason != was.StopReason {
			t.Errorf("%s: 2.4.1 replies %q (%s), 2.3.1 %q (%s)", id, reply(now), now.StopReason, reply(was), was.StopReason)
		}
	}
	for _, e := range children {
		for _, c := range e {
			if c.Kind == "eval" && (c.Passed == nil || !*c.Passed) {
				t.Errorf("%s: eval failed", c.RunID)
			}
		}
	}

	inc, src := fix["run-2.4.1-"+incidentCaseID], regressed["run-2.4.0-p04"]
	if inc == nil || inc.CaseID != incidentCaseID || inc.Task != "password_reset" || message(inc) != message(src) {
		t.Fatalf("no 2.4.1 run replays run-2.4.0-p04 as %s", incidentCaseID)
	}
	if r := reply(inc); strings.Contains(r, "http") || strings.Contains(r, "token") || strings.Contains(r, "reset?") || inc.StopReason != "completed" {
		t.Errorf("incident reply leaks the link or fails: %q (%s)", r, inc.StopReason)
	}
	emailed := false
	for _, c := range children[inc.RunID] {
		if c.Kind == "tool" && c.Tool == "send_email" && c.IdempotencyKey != "" &&
			c.Args.(map[string]any)["to"] == inc.Input.(map[string]any)["customer"].(map[string]any)["email"] {
			emailed = true
		}
	}
	if !emailed {
		t.Error("incident run does not e-mail the reset link to the customer's address")
	}
}

// Every e-mail address in the events files is listed in planted-secrets.txt,
// and nothing planted is missing from them.
func TestEmailsArePlanted(t *testing.T) {
	out := generate(t)
	planted := map[string]bool{}
	for _, v := range plantedValues(out.Files["planted-secrets.txt"]) {
		planted[v] = true
	}
	email := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	for name, b := range out.Files {
		if !strings.HasSuffix(name, ".ndjson") {
			continue
		}
		for _, m := range email.FindAllString(string(b), -1) {
			if !planted[m] {
				t.Errorf("%s: e-mail address %s is not in planted-secrets.txt", name, m)
			}
		}
	}
}
