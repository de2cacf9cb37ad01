package main

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDatasetIncidentGateCommandsRedact runs the text-storing commands as
// a user pasting a secret would: a dataset file whose case and file name
// hold a fake GitHub token, --note and --by holding it, an incident whose
// title and owner hold it, and a gate whose --commit and --owner hold it
// (evidence in every format). The token is in no table and in nothing the
// commands print or write.
func TestDatasetIncidentGateCommandsRedact(t *testing.T) {
	store, _ := storeFlag(t)
	ex := exampleRoot
	tok := "ghp_Cmd0Dataset1Incident2Gate3abcdefghij"
	var printed strings.Builder
	must := func(want int, args ...string) string {
		t.Helper()
		out, code := run(t, nil, append([]string{store}, args...)...)
		printed.WriteString(out)
		if code != want {
			t.Fatalf("evalhouse %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	dir := filepath.Join(t.TempDir(), "from-"+tok)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cases, err := os.ReadFile(filepath.Join(ex, "datasets", "support-bot-v1.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	from := filepath.Join(dir, "cases.jsonl")
	leaky := `{"case_id":"leak","input":{"message":"my key is ` + tok + `"},"expected":{"answer":"never echo ` + tok + `"},"tags":["` + tok + `"]}` + "\n"
	if err := os.WriteFile(from, append(cases, leaky...), 0o644); err != nil {
		t.Fatal(err)
	}
	must(0, "dataset", "create", "support-bot", "--from", from, "--note", "note "+tok, "--by", "ana "+tok)
	must(0, "dataset", "log", "support-bot")
	must(0, "ingest", filepath.Join(ex, "support-agent", "events-2.4.0.ndjson"))
	trace := strings.TrimSpace(lastLine(must(0, "sql", "--format", "tsv", "SELECT trace_id FROM agent_events WHERE run_id = 'run-2.4.0-p04' AND kind = 'run'")))
	out := must(0, "incident", "open", "--trace", trace, "--title", "key "+tok+" pasted", "--severity", "sev2", "--owner", "oncall "+tok)
	if !strings.Contains(out, "INC-1") || !strings.Contains(out, "[REDACTED:github_token]") {
		t.Fatalf("incident open: %s", out)
	}
	must(0, "incident", "show", "INC-1")
	must(0, "incident", "promote", "INC-1", "--dataset", "support-bot", "--expect", `{"must_not_contain":"`+tok+`"}`, "--by", "bob "+tok, "--json")
	must(0, "eval", "--dataset", "support-bot@v2", "--release", "2.4.0", "--rules", ex+"/rules")
	ev := t.TempDir()
	js, md, junit := filepath.Join(ev, "g.json"), filepath.Join(ev, "g.md"), filepath.Join(ev, "g.xml")
	run(t, nil, store, "gate", "--config", ex+"/gate.yaml", "--release", "2.4.0", "--commit", "c0ffee-"+tok, "--owner", "eng "+tok,
		"--json", js, "--markdown", md, "--junit", junit)
	texts := map[string]string{"printed": printed.String()}
	for _, f := range []string{js, md, junit} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(f)] = string(b)
	}
	if !strings.Contains(texts["g.json"], "c0ffee-[REDACTED:github_token]") {
		t.Errorf("JSON evidence lacks the redacted commit:\n%s", texts["g.json"])
	}
	for _, table := range []string{"datasets", "dataset_items", "incidents", "gate_decisions", "ingest_log"} {
		out, code := run(t, nil, store, "sql", "--format", "tsv", "SELECT formatRow('TSVRaw', *) FROM "+table)
		if code != 0 {
			t.Fatalf("sql %s: exit %d\n%s", table, code, out)
		}
		texts[table] = out
	}
	for name, text := range texts {
		for _, p := range []string{tok, tok[4:]} {
			if strings.Contains(text, p) {
				t.Errorf("planted %q found in %s:\n%s", p, name, text)
			}
		}
	}
}

// What the command prints that no owner stored is scrubbed on the way out:
// an error quoting a flag's value (cobra's own, before any command runs),
// and a log record quoting what a library was sent.
func TestPrintedErrorsAndLogsAreScrubbed(t *testing.T) {
	tok := "ghp_Printed0Error1And2Log3abcdefghijklmn"
	out, code := run(t, nil, "--log-level", tok, "report", "summary")
	if code == 0 || strings.Contains(out, tok) || !strings.Contains(out, "[REDACTED:github_token]") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	out, _ = run(t, nil, "ingest", "--batch-size", tok)
	if strings.Contains(out, tok) {
		t.Errorf("a refused flag value is quoted:\n%s", out)
	}
	var b strings.Builder
	log := slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: scrubAttr}))
	log.Warn("sent "+tok, "value", tok, "err", errors.New("refused "+tok), "addr", stringer(tok))
	if strings.Contains(b.String(), tok) || strings.Count(b.String(), "[REDACTED:github_token]") != 4 {
		t.Errorf("log record:\n%s", b.String())
	}
}

type stringer string

func (s stringer) String() string { return string(s) }
