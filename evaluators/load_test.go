package evaluators

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestLoadDirGoodFixtures(t *testing.T) {
	rs, err := LoadDir("testdata/good")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id, file, typ, severity string
		scope                   Scope
	}{
		{"fresh_retrieval", "more.yml", TypeBool, SeverityBlocking, ScopeBoth},
		{"answer_count", "more.yml", TypeScore, SeverityBlocking, ScopeBoth},
		{"task_success", "support.yaml", TypeBool, SeverityBlocking, ScopeDataset},
		{"tool_authorization", "support.yaml", TypeBool, SeverityBlocking, ScopeBoth},
		{"cost_budget", "support.yaml", TypeBool, SeverityWarning, ScopeProduction},
		{"helpfulness", "support.yaml", TypeScore, SeverityBlocking, ScopeBoth},
	}
	if len(rs.Rules) != len(want) {
		t.Fatalf("got %d rules, want %d", len(rs.Rules), len(want))
	}
	hex12 := regexp.MustCompile(`^[0-9a-f]{12}$`)
	for i, w := range want {
		r := rs.Rules[i]
		if r.ID != w.id || filepath.Base(r.File) != w.file || r.Type != w.typ || r.Severity != w.severity || r.Scope != w.scope {
			t.Errorf("rule %d = %s %s %s %s %s, want %+v", i, r.ID, r.File, r.Type, r.Severity, r.Scope, w)
		}
		if !hex12.MatchString(r.Version) {
			t.Errorf("%s: version %q is not 12 hex digits", r.ID, r.Version)
		}
		if rs.Get(w.id) != r {
			t.Errorf("Get(%q) did not return the rule", w.id)
		}
	}
	if rs.Get("nope") != nil {
		t.Error("Get of an unknown id returned a rule")
	}
	if r := rs.Get("task_success"); r.Line != 3 {
		t.Errorf("task_success line = %d, want 3", r.Line)
	}
}

// TestLoadBadFixtures is the expected-error table for testdata/bad: every
// fixture must fail, and every listed fragment must appear in the error
// (each names the file, the line, the rule and the YAML key).
func TestLoadBadFixtures(t *testing.T) {
	cases := map[string][]string{
		"bad_id.bad.yaml": {
			`bad_id.bad.yaml:2: rule "9 lives": id: "9 lives": use letters`,
			`bad_id.bad.yaml:4: rule without id: id: required`,
		},
		"comment_in_plain.bad.yaml": {`comment_in_plain.bad.yaml:3:`, `rule "hash": expr:`, `" #" starts a comment`},
		"compile_error.bad.yaml": {
			`compile_error.bad.yaml:5:26: rule "typo_in_expr": expr: type ToolCall has no field side_effects`,
			"  |   all(tool_calls, .side_effects == \"none\")\n  |                    ^",
		},
		"disabled_builtin.bad.yaml": {`:3:15: rule "amplifier": expr: repeat is disabled in rules (see Limits`},
		"duplicate_id.bad.yaml":     {`duplicate_id.bad.yaml:4: rule "twice": id: defined again (first at`, `duplicate_id.bad.yaml:2)`},
		"empty.bad.yaml":            {`empty.bad.yaml: empty file`},
		"enums.bad.yaml": {
			`enums.bad.yaml:3: rule "enums": type: "boolean": want bool or score`,
			`enums.bad.yaml:4: rule "enums": severity: "critical"`,
			`enums.bad.yaml:5: rule "enums": scope: "staging"`,
			`enums.bad.yaml:6: rule "enums": applies_to: "prompts" is not a change type`,
			`enums.bad.yaml:6: rule "enums": applies_to: "prompt" listed twice`,
			`enums.bad.yaml:8: rule "enums": check: "citations": want citation (or no check)`,
		},
		"missing_threshold.bad.yaml": {`missing_threshold.bad.yaml:2: rule "helpfulness": threshold: required for score rules`},
		"no_rules_key.bad.yaml":      {`no_rules_key.bad.yaml:1: unknown key "rule"`, `no_rules_key.bad.yaml: rules: required`},
		"not_a_list.bad.yaml":        {`not_a_list.bad.yaml:2: rules: want a list of rules`},
		"syntax.bad.yaml":            {`syntax.bad.yaml:2: did not find expected`},
		"threshold_on_bool.bad.yaml": {`threshold_on_bool.bad.yaml:3: rule "strict": threshold: only score rules have a threshold`},
		"threshold_string.bad.yaml":  {`threshold_string.bad.yaml:4: rule "quoted": threshold: want a number, got "0.7"`},
		"unknown_key.bad.yaml": {
			`unknown_key.bad.yaml:3: rule "typo": exprs: unknown key`,
			`unknown_key.bad.yaml:2: rule "typo": expr: required`,
		},
		"wrong_result_type.bad.yaml": {
			`wrong_result_type.bad.yaml:3: rule "not_bool": expr: expected bool, but got int`,
			`wrong_result_type.bad.yaml:7: rule "not_number": expr: expected float64, but got string`,
		},
	}
	files, _ := filepath.Glob("testdata/bad/*.bad.yaml")
	if len(files) != len(cases) {
		t.Errorf("%d fixtures in testdata/bad, %d in the table: keep them in step", len(files), len(cases))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, ok := cases[filepath.Base(f)]
			if !ok {
				t.Fatal("fixture missing from the table")
			}
			rs, err := LoadFiles(f)
			if err == nil || rs != nil {
				t.Fatalf("loaded: rs=%v err=%v", rs, err)
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestDuplicateIDsAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "rules:\n  - id: same\n    expr: true\n")
	write(t, dir, "b.yaml", "rules:\n  - id: other\n    expr: true\n  - id: same\n    expr: false\n")
	_, err := LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), `b.yaml:4: rule "same": id: defined again (first at `+filepath.Join(dir, "a.yaml")+":2)") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadReportsEveryFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "rules:\n  - id: a\n    expr: nope\n")
	write(t, dir, "b.yaml", "rules:\n  - id: b\n    severity: loud\n    expr: true\n")
	_, err := LoadDir(dir)
	var ce *CompileError
	if !errors.As(err, &ce) || ce.RuleID != "a" || ce.Line != 3 || ce.Column != 11 {
		t.Errorf("compile error = %#v", ce)
	}
	if err == nil || !strings.Contains(err.Error(), `b.yaml:3: rule "b": severity: "loud"`) {
		t.Errorf("err = %v", err)
	}
}

func TestLoadDirWithoutRules(t *testing.T) {
	if _, err := LoadDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no rule files") {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := LoadDir(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
}

func TestLimitsOnDefinitions(t *testing.T) {
	long := "true" + strings.Repeat(" && true", MaxExprBytes/8)
	_, err := Parse("big.yaml", []byte("rules:\n  - id: big\n    expr: "+long+"\n"))
	if err == nil || !strings.Contains(err.Error(), `big.yaml:3: rule "big": expr: `) || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("long expr: %v", err)
	}
	// Under the byte limit, over the node limit.
	many := "1" + strings.Repeat("+1", MaxNodes)
	_, err = Parse("nodes.yaml", []byte("rules:\n  - id: nodes\n    type: score\n    threshold: 1\n    expr: "+many+"\n"))
	if err == nil || !strings.Contains(err.Error(), "exceeds maximum allowed nodes") {
		t.Errorf("many nodes: %v", err)
	}
}

func TestVersion(t *testing.T) {
	version := func(src string) string {
		t.Helper()
		rs, err := Parse("v.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return rs.Rules[0].Version
	}
	base := version(`rules:
  - id: helpfulness
    type: score
    threshold: 0.7
    applies_to: [prompt, model]
    expr: "len(evals) == 0 ? 0.0 : mean(map(evals, .score))"
`)
	same := map[string]string{
		"re-indented over lines": `rules:
  - id: helpfulness
    type: score
    threshold: 0.70
    applies_to: [model, prompt]
    severity: blocking
    scope: both
    expr: |
      len(evals) == 0
        ?   0.0
        :   mean(map(evals,   .score))
`,
	}
	for name, src := range same {
		if v := version(src); v != base {
			t.Errorf("%s: version %s, want %s", name, v, base)
		}
	}
	differ := map[string]string{
		"threshold": strings.Replace(`rules:
  - id: helpfulness
    type: score
    threshold: 0.7
    applies_to: [prompt, model]
    expr: "len(evals) == 0 ? 0.0 : mean(map(evals, .score))"
`, "0.7", "0.75", 1),
		"severity": `rules:
  - id: helpfulness
    type: score
    threshold: 0.7
    severity: warning
    applies_to: [prompt, model]
    expr: "len(evals) == 0 ? 0.0 : mean(map(evals, .score))"
`,
		"a string literal's spaces": `rules:
  - id: helpfulness
    type: score
    threshold: 0.7
    applies_to: [prompt, model]
    expr: 'len(evals) == 0 ? 0.0 : mean(map(filter(evals, .evaluator != "a  b"), .score))'
`,
	}
	for name, src := range differ {
		if v := version(src); v == base {
			t.Errorf("changing the %s kept version %s", name, v)
		}
	}
}

func TestNormalizeExpr(t *testing.T) {
	for in, want := range map[string]string{
		"  a  &&\n\t b ":             "a && b",
		`x == "a  b"  `:              `x == "a  b"`,
		`x == 'it\'s  '`:             `x == 'it\'s  '`,
		"x == `raw\n  text`":         "x == `raw\n  text`",
		"a // note\n   && b":         "a // note\n&& b",
		"a // note\n  ":              "a // note",
		"a /* keep   this */   && b": "a /* keep   this */ && b",
		`"unterminated  `:            `"unterminated  `,
	} {
		if got := NormalizeExpr(in); got != want {
			t.Errorf("NormalizeExpr(%q) = %q, want %q", in, got, want)
		}
	}
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
