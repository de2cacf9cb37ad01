package chhttp_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/internal/chhttp"
	"github.com/evalhouse/evalhouse/internal/storetest"
)

// The codes the interface names are the engine's: errorCodeToName agrees
// with every name in the status table and with the codes it raises itself.
func TestExceptionCodesAreTheEngines(t *testing.T) {
	names := chhttp.CodeNames()
	var q strings.Builder
	q.WriteString("SELECT c, errorCodeToName(c) FROM (SELECT arrayJoin([0")
	for code := range names {
		fmt.Fprintf(&q, ",%d", code)
	}
	q.WriteString("]) AS c) WHERE c > 0 ORDER BY c")
	out, err := storetest.Engine(t).Query("", q.String(), "TabSeparated")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var code int
		var name string
		fmt.Sscanf(line, "%d\t%s", &code, &name)
		if names[code] != name {
			t.Errorf("code %d: the engine calls it %s, the table %s", code, name, names[code])
		}
		seen++
	}
	if seen != len(names) || chhttp.StatusOf(60) != 404 || chhttp.StatusOf(164) != 500 {
		t.Fatalf("checked %d of %d codes", seen, len(names))
	}
}
