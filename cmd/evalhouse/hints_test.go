package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/datasets/incidents"
	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/rollout"
)

// The libraries name fields; a user of evalhouse reads the flags they typed.
// Each case is a command line a user could give and the flag or command its
// error must name, with the exit code.
func TestErrorsNameTheFlags(t *testing.T) {
	store, _ := storeFlag(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"incident", "open", "--trace", "tr-1", "--title", "x", "--severity", "sev9"}, exitFailed,
			`incidents: --severity "sev9": want one of sev1, sev2, sev3, sev4`},
		{[]string{"incident", "open", "--title", "x"}, exitFailed, "incidents: --trace: name at least one trace"},
		{[]string{"incident", "open", "--trace", "tr-1"}, exitFailed, "incidents: --title: required"},
		{[]string{"dataset", "show", "support-bot"}, exitFailed,
			"there are no datasets yet); create one: evalhouse dataset create NAME --from FILE"},
	} {
		out, code := run(t, nil, append([]string{store}, tc.args...)...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("evalhouse %s: exit %d, want %d and %q in\n%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out)
		}
	}
}

// A stale draft is refused, and the message says which command writes a
// fresh one.
func TestApproveStaleNamesTheCommand(t *testing.T) {
	store, _ := storeFlag(t)
	dir := t.TempDir()
	for i, id := range []string{"c2", "c3"} {
		p := filepath.Join(dir, id+".jsonl")
		if err := os.WriteFile(p, []byte(`{"case_id":"`+id+`","input":"q","expected":{"answer":"a"}}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			dsRun(t, store, "dataset", "create", "sb", "--from", exampleDataset)
		}
		dsRun(t, store, "dataset", "add", "sb", "--from", p, "--draft")
	}
	dsRun(t, store, "dataset", "approve", "sb@v3")
	out, code := run(t, nil, store, "dataset", "approve", "sb@v2")
	if code != exitFailed || !strings.Contains(out, "draft is stale") || !strings.Contains(out, "(evalhouse dataset add NAME --from FILE --draft)") {
		t.Fatalf("approve a stale draft: exit %d\n%s", code, out)
	}
}

// cliError keeps the library's error reachable and leaves other errors
// alone.
func TestCliErrorWraps(t *testing.T) {
	plain := errors.New("boom")
	if cliError(plain) != plain || cliError(nil) != nil {
		t.Fatal("cliError rewrote an error it has no words for")
	}
	err := cliError(&exitError{code: exitFailed, err: datasets.ErrStale})
	var ee *exitError
	if !errors.Is(err, datasets.ErrStale) || !errors.As(err, &ee) || ee.code != exitFailed {
		t.Fatalf("reworded error lost its chain: %v", err)
	}
	fe := &incidents.FieldError{Field: "expected", Problem: "must describe the expected behaviour (a JSON object)"}
	if err := cliError(fe); err.Error() != "incidents: --expect: must describe the expected behaviour (a JSON object)" || !errors.Is(err, fe) {
		t.Fatalf("promote's expectation: %v", err)
	}
	if gateFlag("change_type") != "--change-type" || gateFlag("release") != "--release" || gateFlag("nope") != "" {
		t.Fatal("gateFlag")
	}
}

// The gate's verdicts exit with the named codes, and --help lists them all.
func TestExitCodes(t *testing.T) {
	for verdict, want := range map[gate.Verdict]int{gate.Pass: exitOK, gate.Fail: exitFailed, gate.Hold: exitHold, gate.VerdictError: exitInvalid} {
		if got := gate.ExitCode(verdict); got != want {
			t.Errorf("gate %s exits %d, the CLI documents %d", verdict, got, want)
		}
	}
	for verdict, want := range map[rollout.Verdict]int{rollout.Expand: exitOK, rollout.Rollback: exitFailed, rollout.Hold: exitHold,
		rollout.VerdictError: exitInvalid, rollout.Narrow: exitNarrow} {
		if got := rollout.ExitCode(verdict); got != want {
			t.Errorf("stage gate %s exits %d, the CLI documents %d", verdict, got, want)
		}
	}
	out, code := run(t, nil, "--help")
	if code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, c := range exitCodes {
		if !strings.Contains(flat, fmt.Sprintf(" %d %s ", c.code, c.meaning)) {
			t.Errorf("--help lacks exit code %d:\n%s", c.code, out)
		}
	}
}

// printJSON is the one JSON printer: two-space indent, a final newline,
// text as written.
func TestPrintJSON(t *testing.T) {
	var b bytes.Buffer
	if err := printJSON(&b, map[string]any{"a": []int{1}, "s": "<&>"}); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"a\": [\n    1\n  ],\n  \"s\": \"<&>\"\n}\n"; b.String() != want {
		t.Fatalf("printJSON wrote %q, want %q", b.String(), want)
	}
}
