package main

import (
	"encoding/json"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dataset log says who created and who approved each version: --by, else
// the OS user (it used to print "unknown" wherever $USER was unset).
func TestDatasetLogNamesCreatorAndApprover(t *testing.T) {
	u, err := user.Current()
	if err != nil || u.Username == "" {
		t.Fatalf("os/user: %v", err)
	}
	me := regexp.QuoteMeta(u.Username)
	t.Setenv("USER", "") // as in a container or a CI job
	store, _ := storeFlag(t)
	draft := filepath.Join(t.TempDir(), "draft.jsonl")
	dsRun(t, store, "dataset", "create", "sb", "--from", exampleDataset)
	dsWriteFile(t, draft, `{"case_id":"c100","input":"hello","expected":{"answer":"hi"}}`+"\n")
	dsRun(t, store, "dataset", "add", "sb", "--from", draft, "--draft", "--by", "alice")
	if out := dsRun(t, store, "dataset", "approve", "sb@v2", "--by", "bob"); !strings.Contains(out, "published sb@v2 (approved by bob)") {
		t.Fatalf("approve --by: %s", out)
	}
	dsWriteFile(t, draft, `{"case_id":"c101","input":"bye","expected":{"answer":"bye"}}`+"\n")
	dsRun(t, store, "dataset", "add", "sb", "--from", draft, "--draft", "--by", "carol")
	out := dsRun(t, store, "dataset", "log", "sb")
	if strings.Contains(out, "unknown") || !strings.Contains(out, "CREATED_BY") || !strings.Contains(out, "APPROVED_BY") {
		t.Fatalf("log:\n%s", out)
	}
	when := `\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ`
	for _, re := range []string{
		`(?m)^v1\s+\S+\s+published\s+24\s+` + me + `\s+` + when + `\s+` + me + `\s+` + when + `\s`,
		`(?m)^v2\s+\S+\s+published\s+25\s+alice\s+` + when + `\s+bob\s+` + when + `\s`,
		`(?m)^v3\s+\S+\s+draft\s+26\s+carol\s+` + when + `\s+-\s+-\s`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("log does not match %s:\n%s", re, out)
		}
	}
	// approve without --by: the OS user.
	dsRun(t, store, "dataset", "approve", "sb@v3")
	var vs []struct {
		Version    int    `json:"version"`
		CreatedBy  string `json:"created_by"`
		ApprovedBy string `json:"approved_by"`
	}
	js := dsRun(t, store, "dataset", "log", "sb", "--json")
	if err := json.Unmarshal([]byte(js), &vs); err != nil || len(vs) != 3 || vs[2].CreatedBy != "carol" || vs[2].ApprovedBy != u.Username {
		t.Fatalf("log --json: %v %+v", err, vs)
	}
	if out = dsRun(t, store, "dataset", "show", "sb@v2"); !strings.Contains(out, "by alice") || !strings.Contains(out, "by bob") {
		t.Errorf("show:\n%s", out)
	}
	out, _ = run(t, nil, "dataset", "log", "--help")
	if !strings.Contains(out, "OS user") || !strings.Contains(out, "APPROVED_BY") {
		t.Errorf("log --help does not say where the names come from:\n%s", out)
	}
}
