package evaluators

import "testing"

// A rule marked check: citation is one the rag report counts; the mark
// labels the rule without changing its version, so marking a rule keeps
// its stored results counting.
func TestCheckMarksARuleWithoutChangingItsVersion(t *testing.T) {
	const plain = "rules:\n  - id: cites\n    expr: len(retrievals) == 0 || run.output != \"\"\n"
	a, err := Parse("plain.yaml", []byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("marked.yaml", []byte(plain+"    check: citation\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Rules[0].Check != "" || b.Rules[0].Check != CheckCitation {
		t.Errorf("check = %q, %q", a.Rules[0].Check, b.Rules[0].Check)
	}
	if a.Rules[0].Version != b.Rules[0].Version {
		t.Errorf("marking changed the version: %s → %s", a.Rules[0].Version, b.Rules[0].Version)
	}
	if _, err := Parse("list.yaml", []byte(plain+"    check: [citation]\n")); err == nil {
		t.Error("check: a list was accepted")
	}
}
