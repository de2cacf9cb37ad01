package reports_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/evalhouse/evalhouse/reports"
)

// Every --fail-on expression in docs/reports.md parses.
func TestDocsExpectationsParse(t *testing.T) {
	doc, err := os.ReadFile("../docs/reports.md")
	if err != nil {
		t.Fatal(err)
	}
	found := regexp.MustCompile(`--fail-on '([^']+)'`).FindAllSubmatch(doc, -1)
	if len(found) < 2 {
		t.Fatalf("docs/reports.md shows %d --fail-on examples", len(found))
	}
	for _, m := range found {
		if err := reports.ParseExpectation(string(m[1])); err != nil {
			t.Errorf("docs/reports.md: %q: %v", m[1], err)
		}
	}
}
