package evaluators

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// RuleSet is a loaded, compiled set of rules with unique ids, in file order.
type RuleSet struct {
	Rules []*Rule
}

// Get returns the rule with the id, or nil.
func (rs *RuleSet) Get(id string) *Rule {
	for _, r := range rs.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// maxFileBytes bounds one rules file.
const maxFileBytes = 4 << 20

// LoadDir loads every *.yaml and *.yml file directly in dir (not its
// subdirectories) in name order. See LoadFiles.
func LoadDir(dir string) (*RuleSet, error) {
	var paths []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, fmt.Errorf("evaluators: %w", err)
		}
		paths = append(paths, m...)
	}
	if len(paths) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("evaluators: rules directory: %w", err)
		}
		return nil, fmt.Errorf("evaluators: %s: no rule files (*.yaml, *.yml)", dir)
	}
	slices.Sort(paths)
	return LoadFiles(paths...)
}

// LoadFiles reads, validates and compiles the rules in the files. Every
// problem in every file is reported, joined with errors.Join; a rule id
// defined twice (in one file or two) is one of them. On error the RuleSet
// is nil: a gate never runs with part of its rules.
func LoadFiles(paths ...string) (*RuleSet, error) {
	var (
		all  []*Rule
		errs []error
	)
	for _, p := range paths {
		data, err := readLimited(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules, err := parseFile(p, data)
		errs = append(errs, err)
		all = append(all, rules...)
	}
	errs = append(errs, duplicateIDs(all))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &RuleSet{Rules: all}, nil
}

// Parse reads one rules file's contents; name stands for the file in
// messages.
func Parse(name string, data []byte) (*RuleSet, error) {
	rules, err := parseFile(name, data)
	if err = errors.Join(err, duplicateIDs(rules)); err != nil {
		return nil, err
	}
	return &RuleSet{Rules: rules}, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("evaluators: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1)) // parseFile reports the excess
	if err != nil {
		return nil, fmt.Errorf("evaluators: %s: %w", path, err)
	}
	return data, nil
}

// duplicateIDs reports each id defined more than once, naming every place.
func duplicateIDs(rules []*Rule) error {
	first := map[string]*Rule{}
	var errs []error
	for _, r := range rules {
		if r.ID == "" {
			continue
		}
		if f, ok := first[r.ID]; ok {
			errs = append(errs, fmt.Errorf("%s: defined again (first at %s:%d)", r.where("id"), f.File, f.Line))
			continue
		}
		first[r.ID] = r
	}
	return errors.Join(errs...)
}

// parseFile decodes, validates and compiles one file's rules. It returns
// the rules that are fine alongside the problems of the others.
func parseFile(name string, data []byte) ([]*Rule, error) {
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes, over the limit of %d", name, len(data), maxFileBytes)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty file: want a list of rules under rules:", name)
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping with a rules: list", name, root.Line)
	}
	var (
		list *yaml.Node
		errs []error
	)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Value != "rules" {
			errs = append(errs, fmt.Errorf("%s:%d: unknown key %q (a rules file has only rules:)", name, k.Line, k.Value))
			continue
		}
		list = resolve(root.Content[i+1])
	}
	switch {
	case list == nil:
		errs = append(errs, fmt.Errorf("%s: rules: required", name))
	case list.Kind != yaml.SequenceNode:
		errs = append(errs, fmt.Errorf("%s:%d: rules: want a list of rules", name, list.Line))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	lines := strings.Split(string(data), "\n")
	var rules []*Rule
	for _, item := range list.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			errs = append(errs, fmt.Errorf("%s:%d: rules: each rule is a mapping (id:, expr:, …)", name, item.Line))
			continue
		}
		r, probs := decodeRule(name, item)
		r.applyDefaults()
		bad := map[string]bool{}
		for _, p := range probs {
			bad[p.key] = true
		}
		for _, p := range r.problems() {
			if !bad[p.key] { // one message per key
				probs = append(probs, p)
			}
		}
		if len(probs) > 0 {
			errs = append(errs, r.problemErrors(probs))
			continue
		}
		if err := r.compile(lines); err != nil {
			errs = append(errs, err)
			continue
		}
		r.Version = r.computeVersion()
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?(?:unmarshal errors:\n\s*)?line (\d+): `)

// yamlError puts the file name in front of a YAML error, file:line style.
func yamlError(name string, err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", name, m[1], msg[len(m[0]):])
	}
	return fmt.Errorf("%s: %s", name, strings.TrimPrefix(msg, "yaml: "))
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// decodeRule reads one rule mapping. Unknown keys and values of the wrong
// shape are problems naming the key.
func decodeRule(file string, n *yaml.Node) (*Rule, []problem) {
	r := &Rule{File: file, Line: n.Line, keyLine: map[string]int{}}
	var problems []problem
	str := func(key string, v *yaml.Node, dst *string) {
		if v.Kind != yaml.ScalarNode {
			problems = append(problems, problem{key: key, msg: "want a string"})
			return
		}
		if v.Tag != "!!null" {
			*dst = v.Value
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		r.keyLine[k.Value] = k.Line
		switch k.Value {
		case "id":
			str(k.Value, v, &r.ID)
		case "description":
			str(k.Value, v, &r.Description)
		case "expr":
			str(k.Value, v, &r.Expr)
			r.exprPos = exprPos{line: v.Line, col: v.Column, style: v.Style}
		case "type":
			str(k.Value, v, &r.Type)
		case "severity":
			str(k.Value, v, &r.Severity)
		case "check":
			str(k.Value, v, &r.Check)
		case "scope":
			var sc string
			str(k.Value, v, &sc)
			r.Scope = Scope(sc)
		case "threshold":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			var f float64
			if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") || v.Decode(&f) != nil {
				problems = append(problems, problem{key: k.Value, msg: fmt.Sprintf("want a number, got %q", v.Value)})
				continue
			}
			r.Threshold = &f
		case "applies_to":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			ok := v.Kind == yaml.SequenceNode
			for _, c := range v.Content {
				ok = ok && c.Kind == yaml.ScalarNode
			}
			if !ok {
				problems = append(problems, problem{key: k.Value, msg: "want a list of change types"})
				continue
			}
			for _, c := range v.Content {
				r.AppliesTo = append(r.AppliesTo, c.Value)
			}
		default:
			problems = append(problems, problem{key: k.Value, msg: "unknown key (want id, description, expr, type, threshold, severity, applies_to, scope, check)"})
		}
	}
	return r, problems
}
