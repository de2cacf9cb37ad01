package runs

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
	"time"
)

// The run page holds every event of the tree, nested as the text form
// nests it, each with the text form's line; values from events are
// escaped; the list links each run to its page.
func TestRunPages(t *testing.T) {
	rows := runRows(time.Now().UTC().Add(-time.Hour))
	rows[0].Actor = `<script>alert(1)</script>`
	tr := Assemble(rows, nil)
	var b bytes.Buffer
	if err := tr.WriteHTML(&b, "/ui"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	items, scripts := strings.Count(page, "<li data-kind="), strings.Count(page, "<script")
	if items != len(rows) || scripts != 0 {
		t.Errorf("%d events on the page (want %d), %d scripts", items, len(rows), scripts)
	}
	var walkTree func(es []*Event)
	walkTree = func(es []*Event) {
		for _, e := range es {
			if want := template.HTMLEscapeString(describe(e)); !strings.Contains(page, want) {
				t.Errorf("event %s: the page lacks %q", e.SpanID, want)
			}
			walkTree(e.Children)
		}
	}
	walkTree(tr.Events)
	l := &List{Runs: []Run{tr.Run}, Limit: 50}
	b.Reset()
	if err := l.WriteHTML(&b, "/ui"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `href="/ui/runs/r1"`) {
		t.Errorf("the list does not link the run:\n%s", b.String())
	}
}
