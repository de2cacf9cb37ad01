package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFailOnAsCron drives --fail-on the way a scheduled job does:
// `evalhouse report NAME --fail-on EXPR --out FILE || alert FILE`. The
// exit code says whether to alert, the file is the Markdown summary
// either way, and a bad expression is a usage error naming where it is
// wrong, before the store is opened.
func TestFailOnAsCron(t *testing.T) {
	store, _ := storeFlag(t)
	dir := t.TempDir()
	if out, code := run(t, nil, store, "ingest", filepath.Join(examples, "events-2.4.0.ndjson")); code != 0 {
		t.Fatalf("ingest: %d\n%s", code, out)
	}
	summary := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// Held: exit 0, the summary says so.
	held := filepath.Join(dir, "quality.md")
	out, code := run(t, nil, store, "report", "quality", "--since", "30d", "--fail-on", "totals.rejected > 0", "--out", held)
	if code != 0 {
		t.Fatalf("held expectation: exit %d\n%s", code, out)
	}
	if md := summary("quality.md"); !strings.HasPrefix(md, "# Trace quality") || !strings.Contains(md, "**Expectation held:** `totals.rejected > 0` (totals.rejected = 0)") ||
		!strings.Contains(md, "## Ingests by source") {
		t.Errorf("held summary:\n%s", md)
	}

	// Breached: exit 1, what was breached on stderr and in the summary.
	out, code = run(t, nil, store, "report", "tools", "--since", "30d", "--fail-on", "totals.tool_calls > 0 && any(tools, .tool_calls > 0)",
		"--out", filepath.Join(dir, "tools.md"))
	if code != exitFailed || !strings.Contains(out, "report tools: expectation breached: `totals.tool_calls > 0 && any(tools, .tool_calls > 0)` (totals.tool_calls = ") {
		t.Fatalf("breached expectation: exit %d\n%s", code, out)
	}
	if md := summary("tools.md"); !strings.Contains(md, "**Expectation breached:**") || !strings.Contains(md, "| tool | tool_calls |") {
		t.Errorf("breached summary:\n%s", md)
	}

	// Rejected lines make the quality expectation fail the next run.
	if _, code := run(t, nil, store, "ingest", filepath.Join(examples, "malformed.ndjson")); code == 0 {
		t.Fatal("malformed ingest accepted everything")
	}
	out, code = run(t, nil, store, "report", "quality", "--since", "30d", "--fail-on", "totals.rejected > 0")
	if code != exitFailed || !strings.Contains(out, "**Expectation breached:** `totals.rejected > 0`") {
		t.Errorf("rejects: exit %d, want 1 and the Markdown summary on stdout\n%s", code, out)
	}

	// Bad expressions: usage errors with the position.
	for _, c := range []struct{ expr, want string }{
		{"totals.cost_usd >", "--fail-on: line 1, column"},
		{"totals.cost_usdd > 1", `--fail-on: line 1, column 8: totals has no "cost_usdd"`},
		{"policy.false_allow > 0", "unknown name policy"}, // the cost report has no policy matrix
	} {
		out, code := run(t, nil, store, "report", "cost", "--fail-on", c.expr)
		if code != exitUsage || !strings.Contains(out, c.want) || !strings.Contains(out, "^") {
			t.Errorf("--fail-on %q: exit %d, want %d naming %q\n%s", c.expr, code, exitUsage, c.want, out)
		}
	}

	// Every example in --help is an expectation its report can evaluate.
	for name, expr := range failOnExamples {
		args := []string{store, "report", name, "--since", "30d", "--fail-on", expr, "--format", "json"}
		if name == "rag" {
			args = append(args, "--rules", filepath.Join(exampleRoot, "rules"))
		}
		if out, code := run(t, nil, args...); code != 0 && code != exitFailed {
			t.Errorf("report %s --fail-on %q: exit %d\n%s", name, expr, code, out)
		}
	}
}
