package evaluators

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Expected outcomes in a rule test file.
const (
	ExpectPass  = "pass"
	ExpectFail  = "fail"
	ExpectError = "error"
)

// TestResult is the outcome of one test of a rule test file.
type TestResult struct {
	File string
	Line int
	Name string
	// Failures says what differed from the expectation, one line each;
	// empty when the test passed.
	Failures []string
}

// Passed reports whether every expectation held.
func (t TestResult) Passed() bool { return len(t.Failures) == 0 }

// testFile is a rule test file (promtool test rules, for evalhouse rules):
//
//	rule_files: [../support-bot.yaml]   # relative to this file; globs allowed
//	tests:
//	  - name: refund without approval
//	    env: {run: {status: ok}, tool_calls: [{tool: issue_refund, …}]}
//	    expect:
//	      no_unapproved_side_effects: fail
//	      helpfulness: {result: pass, score: 0.8}
type testFile struct {
	RuleFiles []string   `yaml:"rule_files"`
	Tests     []ruleTest `yaml:"tests"`
}

type ruleTest struct {
	Name   string
	Env    map[string]any
	Expect map[string]expectation
	line   int
}

type expectation struct {
	Result string   // ExpectPass, ExpectFail or ExpectError
	Score  *float64 // checked when set
}

func (t *ruleTest) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a test is a mapping (name:, env:, expect:)", n.Line)
	}
	t.line = n.Line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "name":
			err = v.Decode(&t.Name)
		case "env":
			err = v.Decode(&t.Env)
		case "expect":
			err = v.Decode(&t.Expect)
		default:
			err = fmt.Errorf("line %d: unknown key %q in a test (want name, env, expect)", k.Line, k.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *expectation) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		e.Result = n.Value
	} else {
		var m struct {
			Result string   `yaml:"result"`
			Score  *float64 `yaml:"score"`
		}
		for i := 0; i < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k != "result" && k != "score" {
				return fmt.Errorf("line %d: unknown key %q in an expectation (want result, score)", n.Content[i].Line, k)
			}
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		e.Result, e.Score = m.Result, m.Score
	}
	switch e.Result {
	case ExpectPass, ExpectFail, ExpectError:
		return nil
	}
	return fmt.Errorf("line %d: expectation %q: want %s, %s or %s", n.Line, e.Result, ExpectPass, ExpectFail, ExpectError)
}

// RunTestFile runs a rule test file: it loads the rule files the test file
// names, decodes each test's env (DecodeEnv) and checks each expectation.
// The error is for a file that cannot run at all (unreadable, invalid,
// rules that do not load, an expectation naming an unknown rule); a test
// whose expectations fail is a TestResult with Failures.
func RunTestFile(ctx context.Context, path string) ([]TestResult, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s: over the limit of %d bytes", path, maxFileBytes)
	}
	var tf testFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&tf); err != nil {
		return nil, yamlError(path, err)
	}
	rs, err := loadTestRules(path, tf.RuleFiles)
	if err != nil {
		return nil, err
	}
	var errs []error
	if len(tf.Tests) == 0 {
		errs = append(errs, fmt.Errorf("%s: tests: none", path))
	}
	for _, t := range tf.Tests {
		if t.Name == "" {
			errs = append(errs, fmt.Errorf("%s:%d: name: required", path, t.line))
		}
		if len(t.Expect) == 0 {
			errs = append(errs, fmt.Errorf("%s:%d: test %q: expect: at least one rule id", path, t.line, t.Name))
		}
		for _, id := range slices.Sorted(maps.Keys(t.Expect)) {
			if rs.Get(id) == nil {
				errs = append(errs, fmt.Errorf("%s:%d: test %q: expect: no rule %q in rule_files", path, t.line, t.Name, id))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	results := make([]TestResult, 0, len(tf.Tests))
	for _, t := range tf.Tests {
		results = append(results, runTest(ctx, rs, path, t))
	}
	return results, nil
}

func loadTestRules(path string, patterns []string) (*RuleSet, error) {
	if len(patterns) == 0 {
		return nil, fmt.Errorf("%s: rule_files: required", path)
	}
	dir := filepath.Dir(path)
	var files []string
	for _, p := range patterns {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("%s: rule_files: %w", path, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: rule_files: %s: no such file", path, p)
		}
		files = append(files, m...)
	}
	rs, err := LoadFiles(files...)
	if err != nil {
		return nil, fmt.Errorf("%s: rule_files:\n%w", path, err)
	}
	return rs, nil
}

func runTest(ctx context.Context, rs *RuleSet, path string, t ruleTest) TestResult {
	res := TestResult{File: path, Line: t.line, Name: t.Name}
	env, err := DecodeEnv(t.Env)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			res.Failures = append(res.Failures, "env: "+line)
		}
		return res
	}
	for _, id := range slices.Sorted(maps.Keys(t.Expect)) {
		want := t.Expect[id]
		v := rs.Get(id).Eval(ctx, env)
		got := ExpectFail
		switch {
		case v.Err != "":
			got = ExpectError
		case v.Passed:
			got = ExpectPass
		}
		if got != want.Result {
			msg := fmt.Sprintf("%s: want %s, got %s", id, want.Result, got)
			if v.Reason != "" {
				msg += " (" + v.Reason + ")"
			}
			res.Failures = append(res.Failures, msg)
		}
		if want.Score != nil && math.Abs(v.Score-*want.Score) > 1e-9 {
			res.Failures = append(res.Failures, fmt.Sprintf("%s: want score %s, got %s", id, fmtNum(*want.Score), fmtNum(v.Score)))
		}
	}
	return res
}
