package evaluators

import (
	"os"
	"strings"
	"testing"
)

func TestEnvReference(t *testing.T) {
	ref := EnvReference()
	types := map[string]string{}
	for _, f := range ref {
		types[f.Path] = f.Type
	}
	for path, want := range map[string]string{
		"run":                          "object",
		"run.cost_usd":                 "float",
		"run.input_tokens":             "int",
		"case.expected":                "map<string, any>",
		"case.tags":                    "list<string>",
		"tool_calls":                   "list<object>",
		"tool_calls[].args":            "any",
		"retrievals[].freshness.stale": "bool",
		"approvals[].expires_at":       "time",
		"evals[].passed":               "bool",
	} {
		if types[path] != want {
			t.Errorf("%s: type %q, want %q", path, types[path], want)
		}
	}
	if ref[0].Path != "run" || len(ref) < 80 {
		t.Errorf("reference starts %v and has %d entries", ref[0], len(ref))
	}
}

// TestDocsListTheEnvironment keeps docs/rules.md's environment table in
// step with Env: regenerate it with `evalhouse rules check --env`.
func TestDocsListTheEnvironment(t *testing.T) {
	doc, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteEnvReference(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), b.String()) {
		t.Errorf("docs/rules.md lacks the current environment reference; paste `evalhouse rules check --env`'s table:\n%s", b.String())
	}
	for _, name := range DisabledBuiltins {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/rules.md does not list disabled builtin %s", name)
		}
	}
}
