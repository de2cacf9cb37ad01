package main

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/evalhouse/evalhouse/reports/runs"
)

// serve's /ui/runs and /ui/runs/ID show what `evalhouse runs` and `run
// show` print: the demo's run c017 rebuilt event by event (its JSON equal
// to the CLI's, every event of the tree a node of the page), the list
// linking each run to its page, and the cost report's most expensive runs
// linking theirs.
func TestServeUIRuns(t *testing.T) {
	store, _ := storeFlag(t)
	ex := exampleRoot
	for _, args := range [][]string{
		{"dataset", "create", "support-bot", "--from", filepath.Join(ex, "datasets", "support-bot-v1.jsonl")},
		{"ingest", filepath.Join(examples, "events-2.4.0.ndjson")},
		{"eval", "--dataset", "support-bot@v1", "--release", "2.4.0", "--rules", filepath.Join(ex, "rules")},
	} {
		if out, code := run(t, nil, append([]string{store}, args...)...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
	}
	cliJSON, code := run(t, nil, store, "run", "show", "run-2.4.0-c017", "--json")
	if code != 0 {
		t.Fatal(cliJSON)
	}
	var want runs.Tree
	if err := json.Unmarshal([]byte(cliJSON), &want); err != nil {
		t.Fatal(err)
	}
	lines, _, _ := background(t, store, "serve", "--listen", "127.0.0.1:0")
	api := lines.waitFor(t, regexp.MustCompile(`ingest API on (http://\S+)`))

	r := do(t, "GET", api+"/ui/runs/run-2.4.0-c017?format=json", "", nil)
	var got runs.Tree
	if r.code != 200 || json.Unmarshal([]byte(r.body), &got) != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("/ui/runs/run-2.4.0-c017?format=json: %d, differs from run show --json\n%.3000s", r.code, r.body)
	}
	page := do(t, "GET", api+"/ui/runs/run-2.4.0-c017", "", nil)
	var count func([]*runs.Event) int
	count = func(es []*runs.Event) int {
		n := len(es)
		for _, e := range es {
			n += count(e.Children)
		}
		return n
	}
	if page.code != 200 || strings.Count(page.body, "<li data-kind=") != count(want.Events) || count(want.Events) < 5 ||
		!strings.Contains(page.body, "NO APPROVAL") || !strings.Contains(page.hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("the run page: %d, %d events on it, %d in the tree\n%.2000s", page.code, strings.Count(page.body, "<li data-kind="), count(want.Events), page.body)
	}
	list := do(t, "GET", api+"/ui/runs?"+url.Values{"release": {"2.4.0"}, "failed-rule": {"no_unapproved_side_effects"}}.Encode(), "", nil)
	if list.code != 200 || strings.Count(list.body, `href="/ui/runs/run-2.4.0-`) != 3 || !strings.Contains(list.body, `href="/ui/runs/run-2.4.0-c017"`) {
		t.Errorf("the run list: %d\n%.2000s", list.code, list.body)
	}
	for path, want := range map[string]int{"/ui/runs/run-none": 404, "/ui/runs?limit=-1": 400, "/ui/runs?colour=red": 400} {
		if r := do(t, "GET", api+path, "", nil); r.code != want {
			t.Errorf("%s: %d, want %d", path, r.code, want)
		}
	}
	// The most expensive runs of the cost report link to their pages.
	for i := 0; ; i++ {
		part := do(t, "GET", api+"/ui/report/cost/part/"+string(rune('0'+i)), "", nil)
		if part.code != 200 {
			t.Fatal("no part of the cost report links a run")
		}
		if strings.Contains(part.body, "Most expensive runs") {
			if n := strings.Count(part.body, `<a href="/ui/runs/run-2.4.0-`); n != 10 {
				t.Errorf("most expensive runs: %d links, want 10\n%.2000s", n, part.body)
			}
			break
		}
	}
}
