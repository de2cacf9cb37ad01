package datasets

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDocsListTheChangeTypes keeps the change-type table of
// docs/datasets.md the list the code enforces.
func TestDocsListTheChangeTypes(t *testing.T) {
	doc, err := os.ReadFile("../docs/datasets.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(doc), "### Change types")
	if !ok {
		t.Fatal("docs/datasets.md has no ### Change types section")
	}
	sec, _, _ = strings.Cut(sec, "\n### ")
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(sec, -1) {
		listed = append(listed, m[1])
	}
	if !slices.Equal(listed, ChangeTypes) {
		t.Errorf("docs/datasets.md lists change types %v; the code knows %v", listed, ChangeTypes)
	}
}

// A version cannot be written with a change type rules and gates do not
// know: it could never make a rule block. The message names the case and
// item, never the value.
func TestUnknownChangeTypeIsRefused(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	cs := cases("c1", "c2")
	cs[1].ChangeTypes = []string{"prompt", "tools"}
	_, err := s.Create(ctx, "bot", cs, Provenance{By: "t"})
	if err == nil || !strings.Contains(err.Error(), "case 2: field change_types: item 2 is not a change type") || strings.Contains(err.Error(), `"tools"`) {
		t.Fatalf("create: %v", err)
	}
	cs[1].ChangeTypes = []string{"prompt", "tool"}
	if _, err := s.Create(ctx, "bot", cs, Provenance{By: "t"}); err != nil {
		t.Fatal(err)
	}
	add := cases("c3")
	add[0].ChangeTypes = []string{"approvals"}
	if _, _, err := s.Add(ctx, "bot", add, Provenance{By: "t"}, false); err == nil || !strings.Contains(err.Error(), "field change_types") {
		t.Fatalf("add: %v", err)
	}
}

func TestIncidentProvenance(t *testing.T) {
	c := Case{Provenance: map[string]any{ProvIncident: "INC-3", ProvTraceID: "tr-1"}}
	if inc, tr, ok := c.Incident(); !ok || inc != "INC-3" || tr != "tr-1" {
		t.Errorf("Incident() = %q %q %v", inc, tr, ok)
	}
	if _, _, ok := (Case{}).Incident(); ok {
		t.Error("an authored case reports an incident")
	}
}
