package gate_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/evalhouse/evalhouse/gate"
	"github.com/evalhouse/evalhouse/ingest/leaktest"
)

// plantedToken is a fake GitHub token (ghp_ and 36 alphanumerics).
const plantedToken = "ghp_Gate0wner1Commit2Release3abcdefghijk"

// TestDecisionTextsAreRedacted plants a token in a gate's commit, owner,
// decided_by, release, baseline and change type (decisions that pass, hold
// and error), records them and renders every evidence format, and finds
// the token in neither gate_decisions nor any output.
func TestDecisionTextsAreRedacted(t *testing.T) {
	w := newWorld(t, 4)
	w.runs(t, "2.4.0", 4, "")
	w.results(t, "2.4.0", "task_success", 4, 0)
	w.results(t, "2.4.0", "no_unapproved_side_effects", 4, 0)
	ctx := context.Background()
	tok := plantedToken
	leaky := gate.Options{Commit: "c0ffee " + tok, Owner: "owner " + tok, DecidedBy: "key " + tok}
	pass := leaky
	held := leaky
	held.Release, held.Baseline = "2.4.0-"+tok, "2.3.0-"+tok
	bad := leaky
	bad.ChangeTypes = []string{"prompt-" + tok}
	var out bytes.Buffer
	for name, opts := range map[string]gate.Options{"pass": pass, "held": held, "bad change type": bad} {
		d := evaluate(t, w, cfg(t, baseCfg), opts)
		if name == "pass" && d.Verdict != gate.Pass {
			t.Fatalf("pass: verdict %s %v", d.Verdict, d.Reasons)
		}
		if err := gate.Record(ctx, w.s.Conn, d); err != nil {
			t.Fatal(err)
		}
		for _, write := range []func(*bytes.Buffer) error{
			func(b *bytes.Buffer) error { return d.WriteJSON(b) }, func(b *bytes.Buffer) error { return d.WriteText(b) },
			func(b *bytes.Buffer) error { return d.WriteMarkdown(b) }, func(b *bytes.Buffer) error { return d.WriteJUnit(b) },
		} {
			if err := write(&out); err != nil {
				t.Fatal(err)
			}
		}
	}
	last, err := gate.Last(ctx, w.s.Conn, held.Release, "")
	if err != nil || last == nil {
		t.Fatalf("last decision of the redacted release: %v %v", last, err)
	}
	last.WriteJSON(&out)
	e := gate.Errored(nil, leaky, nil)
	e.WriteJSON(&out)
	if bad.ChangeTypes[0] != "prompt-"+tok {
		t.Fatalf("the caller's change types were changed: %v", bad.ChangeTypes)
	}
	leaktest.Absent(t, []string{tok, tok[4:]}, map[string]string{
		"gate_decisions": leaktest.Table(t, w.s.Conn, "gate_decisions"),
		"evidence":       out.String(),
	})
	if !bytes.Contains(out.Bytes(), []byte("[REDACTED:github_token]")) {
		t.Fatalf("no marker in the evidence:\n%s", out.String())
	}
}
