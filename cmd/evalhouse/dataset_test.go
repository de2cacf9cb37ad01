package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const exampleDataset = "../../examples/datasets/support-bot-v1.jsonl"

// dsRun runs one command that must succeed.
func dsRun(t *testing.T, args ...string) string {
	t.Helper()
	out, code := run(t, nil, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s", strings.Join(args[1:], " "), code, out)
	}
	return out
}

// dsShow returns a version's header and cases from show --json.
func dsShow(t *testing.T, store, ref string) (hash string, status string, cases []map[string]any) {
	t.Helper()
	var got struct {
		Version struct {
			Hash   string `json:"content_hash"`
			Status string `json:"status"`
		} `json:"version"`
		Cases []map[string]any `json:"cases"`
	}
	out := dsRun(t, store, "dataset", "show", ref, "--json")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	return got.Version.Hash, got.Version.Status, got.Cases
}

func TestDatasetLifecycle(t *testing.T) {
	store, _ := storeFlag(t)
	dir := t.TempDir()

	out := dsRun(t, store, "dataset", "create", "support-bot", "--from", exampleDataset, "--note", "baseline")
	if !strings.Contains(out, "created support-bot@v1 (published): 24 cases") {
		t.Fatalf("create: %s", out)
	}
	v1Hash, _, v1Cases := dsShow(t, store, "support-bot@v1")
	if len(v1Cases) != 24 || len(v1Hash) != 64 {
		t.Fatalf("v1: %d cases, hash %q", len(v1Cases), v1Hash)
	}

	// Add one new case and change one; then the same file again is no change.
	more := filepath.Join(dir, "more.jsonl")
	dsWriteFile(t, more, `{"case_id":"c025","input":{"channel":"web_chat","messages":[{"role":"user","content":"Refund $15 for ORD-50001"}]},"expected":{"answer":"refunded $15"},"tags":["refund_request"],"change_types":["prompt"]}
{"case_id":"c001","input":`+dsMustJSON(t, v1Cases[0]["input"])+`,"expected":{"answer":"is with the carrier","must_escalate":false,"must_not_call":["issue_refund"]},"tags":["order_status","happy_path"]}
`)
	out = dsRun(t, store, "dataset", "add", "support-bot", "--from", more, "--note", "partial refunds")
	if !strings.Contains(out, "added support-bot@v2 (published): 25 cases (1 added, 1 changed since support-bot@v1)") {
		t.Fatalf("add: %s", out)
	}
	if out = dsRun(t, store, "dataset", "add", "support-bot", "--from", more); !strings.Contains(out, "no change") {
		t.Fatalf("second add: %s", out)
	}

	out = dsRun(t, store, "dataset", "list")
	if !regexp.MustCompile(`(?m)^support-bot\s+v2\s+25\s`).MatchString(out) {
		t.Fatalf("list: %s", out)
	}
	out = dsRun(t, store, "dataset", "show", "support-bot")
	for _, want := range []string{"support-bot@v2  published", "cases    25", "note     partial refunds", "c025", "CHANGE_TYPES"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	out = dsRun(t, store, "dataset", "diff", "support-bot@v1", "support-bot@v2")
	for _, want := range []string{"+ c025", "~ c001  (expected, change_types)", "1 added, 0 removed, 1 changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}

	// Export to Parquet, create another dataset from it: same content hash.
	pq := filepath.Join(dir, "sb.parquet")
	out = dsRun(t, store, "dataset", "export", "support-bot@v2", "-o", pq)
	if !strings.Contains(out, "exported support-bot@v2 (25 cases") {
		t.Fatalf("export: %s", out)
	}
	dsRun(t, store, "dataset", "create", "support-bot-copy", "--from", pq)
	v2Hash, _, _ := dsShow(t, store, "support-bot@v2")
	copyHash, _, _ := dsShow(t, store, "support-bot-copy")
	if copyHash != v2Hash || v2Hash == v1Hash {
		t.Fatalf("copy hash %s, v2 %s, v1 %s", copyHash, v2Hash, v1Hash)
	}
	if out = dsRun(t, store, "dataset", "diff", "support-bot@v2", "support-bot-copy@v1"); !strings.Contains(out, "no differences") {
		t.Errorf("diff with the copy: %s", out)
	}

	out = dsRun(t, store, "dataset", "log", "support-bot")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^v1\s+`+v1Hash[:12]+`\s+published\s+24\s`).MatchString(lines[1]) || !strings.Contains(lines[2], more) ||
		!strings.Contains(lines[1], "published") || !strings.Contains(lines[1], "baseline") {
		t.Fatalf("log:\n%s", out)
	}
}

func TestDatasetDraftApprove(t *testing.T) {
	store, _ := storeFlag(t)
	dsRun(t, store, "dataset", "create", "sb", "--from", exampleDataset)
	draft := filepath.Join(t.TempDir(), "draft.ndjson")
	dsWriteFile(t, draft, `{"case_id":"c100","input":"hello","expected":{"answer":"hi"},"tags":["greeting"]}`+"\n")
	out := dsRun(t, store, "dataset", "add", "sb", "--from", draft, "--draft", "--by", "oncall")
	if !strings.Contains(out, "added sb@v2 (draft)") || !strings.Contains(out, "dataset approve sb@v2") {
		t.Fatalf("add --draft: %s", out)
	}
	if _, status, cases := dsShow(t, store, "sb"); status != "published" || len(cases) != 24 {
		t.Fatalf("sb resolves to %s with %d cases, want v1", status, len(cases))
	}
	if out, code := run(t, nil, store, "dataset", "approve", "sb"); code == 0 || !strings.Contains(out, "sb@vN") {
		t.Errorf("approve without a version: %d %s", code, out)
	}
	if out = dsRun(t, store, "dataset", "approve", "sb@v2"); !strings.Contains(out, "published sb@v2") {
		t.Fatalf("approve: %s", out)
	}
	if _, status, cases := dsShow(t, store, "sb@latest"); status != "published" || len(cases) != 25 {
		t.Fatalf("after approve sb@latest: %s, %d cases", status, len(cases))
	}
	if out = dsRun(t, store, "dataset", "log", "sb"); !strings.Contains(out, "oncall") {
		t.Errorf("log lacks the author: %s", out)
	}
}

func TestDatasetErrors(t *testing.T) {
	store, _ := storeFlag(t)
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	dsWriteFile(t, bad, `{"case_id":"a","input":1,"expected":{}}`+"\n"+`{"case_id":"b","input":1,"expected":"top-secret"}`+"\n")
	out, code := run(t, nil, store, "dataset", "create", "x", "--from", bad)
	if code == 0 || !strings.Contains(out, "bad.jsonl:2: field expected: want a JSON object") || strings.Contains(out, "top-secret") {
		t.Errorf("bad file: %d\n%s", code, out)
	}
	dsRun(t, store, "dataset", "create", "sb", "--from", exampleDataset)
	out, code = run(t, nil, store, "dataset", "show", "sb@v7")
	if code == 0 || !strings.Contains(out, "sb@v7 (versions: v1)") {
		t.Errorf("missing version: %d\n%s", code, out)
	}
	out, code = run(t, nil, store, "dataset", "create", "sb", "--from", exampleDataset)
	if code == 0 || !strings.Contains(out, "already has v1") {
		t.Errorf("create twice: %d\n%s", code, out)
	}
	out, code = run(t, nil, store, "dataset", "export", "sb", "-o", filepath.Join(t.TempDir(), "x.csv"))
	if code == 0 || !strings.Contains(out, "want .jsonl, .ndjson or .parquet") {
		t.Errorf("export to csv: %d\n%s", code, out)
	}
	out, _ = run(t, nil, "dataset", "--help")
	for _, sub := range []string{"create", "add", "list", "show", "diff", "export", "log", "approve", "Examples:"} {
		if !strings.Contains(out, sub) {
			t.Errorf("dataset --help lacks %q", sub)
		}
	}
}

func dsWriteFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func dsMustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
