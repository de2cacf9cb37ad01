package evaluators

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/evalhouse/evalhouse/datasets"
)

// Rule types.
const (
	// TypeBool rules pass when their expression is true.
	TypeBool = "bool"
	// TypeScore rules compute a number; they pass when it is ≥ Threshold.
	TypeScore = "score"
)

// Severities.
const (
	// SeverityBlocking failures hold a release.
	SeverityBlocking = "blocking"
	// SeverityWarning failures are reported but do not hold a release.
	SeverityWarning = "warning"
)

// Scope says which runs a rule judges (yaml "scope"), and which runs a
// scoring pass judges (RuleSet.Eval).
type Scope string

// Scopes.
const (
	ScopeDataset    Scope = "dataset"    // runs that executed a dataset case
	ScopeProduction Scope = "production" // production runs (no case)
	ScopeBoth       Scope = "both"       // either
)

// Checks are the control families a rule may be marked as (yaml
// "check"): reports count the failures of the rules marked with each.
var Checks = []string{CheckCitation}

// CheckCitation marks a rule that checks a run cites its sources (the rag
// report's citation failures).
const CheckCitation = "citation"

// Scopes lists every scope, for messages and documentation.
var Scopes = []Scope{ScopeDataset, ScopeProduction, ScopeBoth}

// Valid reports whether s is one of Scopes.
func (s Scope) Valid() bool { return slices.Contains(Scopes, s) }

// ChangeTypes are the kinds of change a rule may apply to (applies_to):
// the one list rules, gates and dataset cases share (datasets.ChangeTypes).
var ChangeTypes = datasets.ChangeTypes

// Rule is one rule from a rules file. Its zero-value defaults, applied on
// load, are type bool, severity blocking, scope both and applies_to every
// change type (an empty list).
type Rule struct {
	// ID names the rule in results, gates and test files (yaml "id").
	ID string
	// Description says in a sentence what the rule checks (yaml "description").
	Description string
	// Expr is the expr-lang expression, evaluated against Env (yaml "expr").
	Expr string
	// Type is TypeBool or TypeScore (yaml "type").
	Type string
	// Threshold is the passing score of a score rule; nil for bool rules
	// (yaml "threshold").
	Threshold *float64
	// Severity is SeverityBlocking or SeverityWarning (yaml "severity").
	Severity string
	// AppliesTo lists the change types the rule guards; empty means all
	// (yaml "applies_to").
	AppliesTo []string
	// Scope is ScopeDataset, ScopeProduction or ScopeBoth (yaml "scope").
	Scope Scope
	// Check is "" or one of Checks: the control the rule checks, for
	// reports (yaml "check"). It labels the rule and does not change what
	// it judges, so it is not part of Version.
	Check string

	// Version is a 12-hex-digit hash of the rule's normalized definition:
	// results record it, so a changed rule never mixes with old results.
	Version string
	// File and Line locate the rule's definition.
	File string
	Line int

	exprPos exprPos        // where the expression starts in File
	keyLine map[string]int // YAML key → line, for messages
	program *vm.Program
}

// Limits on rule definitions.
const (
	// MaxExprBytes bounds one rule's expression source.
	MaxExprBytes = 8 << 10
	// maxIDLen bounds a rule id.
	maxIDLen = 100
)

var idRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// where names the rule in messages: file:line: rule "id":.
func (r *Rule) where(key string) string {
	line := r.Line
	if l, ok := r.keyLine[key]; ok {
		line = l
	}
	name := fmt.Sprintf("rule %q", r.ID)
	if r.ID == "" {
		name = "rule without id"
	}
	if key == "" {
		return fmt.Sprintf("%s:%d: %s", r.File, line, name)
	}
	return fmt.Sprintf("%s:%d: %s: %s", r.File, line, name, key)
}

// applyDefaults fills the optional keys left empty.
func (r *Rule) applyDefaults() {
	if r.Type == "" {
		r.Type = TypeBool
	}
	if r.Severity == "" {
		r.Severity = SeverityBlocking
	}
	if r.Scope == "" {
		r.Scope = ScopeBoth
	}
}

// Validate reports every problem with the rule's definition, each naming
// its file, line, rule id and YAML key. It does not compile the expression.
func (r *Rule) Validate() error {
	return r.problemErrors(r.problems())
}

// problem is one thing wrong with one YAML key of a rule.
type problem struct{ key, msg string }

func (r *Rule) problemErrors(ps []problem) error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = fmt.Errorf("%s: %s", r.where(p.key), p.msg)
	}
	return errors.Join(errs...)
}

func (r *Rule) problems() []problem {
	var ps []problem
	bad := func(key, format string, args ...any) {
		ps = append(ps, problem{key, fmt.Sprintf(format, args...)})
	}
	switch {
	case r.ID == "":
		bad("id", "required")
	case len(r.ID) > maxIDLen:
		bad("id", "longer than %d bytes", maxIDLen)
	case !idRE.MatchString(r.ID):
		bad("id", "%q: use letters, digits, '_', '.' or '-', starting with a letter", r.ID)
	}
	switch {
	case strings.TrimSpace(r.Expr) == "":
		bad("expr", "required")
	case len(r.Expr) > MaxExprBytes:
		bad("expr", "%d bytes, over the limit of %d", len(r.Expr), MaxExprBytes)
	}
	switch r.Type {
	case TypeBool:
		if r.Threshold != nil {
			bad("threshold", "only score rules have a threshold (type is %q)", r.Type)
		}
	case TypeScore:
		if r.Threshold == nil {
			bad("threshold", "required for score rules (a score passes when ≥ threshold)")
		} else if math.IsNaN(*r.Threshold) || math.IsInf(*r.Threshold, 0) {
			bad("threshold", "must be a finite number")
		}
	default:
		bad("type", "%q: want %s or %s", r.Type, TypeBool, TypeScore)
	}
	if r.Severity != SeverityBlocking && r.Severity != SeverityWarning {
		bad("severity", "%q: want %s or %s", r.Severity, SeverityBlocking, SeverityWarning)
	}
	if !r.Scope.Valid() {
		bad("scope", "%q: want %s, %s or %s", r.Scope, ScopeDataset, ScopeProduction, ScopeBoth)
	}
	if r.Check != "" && !slices.Contains(Checks, r.Check) {
		bad("check", "%q: want %s (or no check)", r.Check, strings.Join(Checks, ", "))
	}
	seen := map[string]bool{}
	for _, ct := range r.AppliesTo {
		switch {
		case !slices.Contains(ChangeTypes, ct):
			bad("applies_to", "%q is not a change type (%s)", ct, strings.Join(ChangeTypes, ", "))
		case seen[ct]:
			bad("applies_to", "%q listed twice", ct)
		}
		seen[ct] = true
	}
	return ps
}

// canonicalRule is the normalized definition a version hashes. Fields
// marshal in this order; never reorder or rename them, or every version
// changes.
type canonicalRule struct {
	ID          string   `json:"id"`
	Description string   `json:"description"`
	Expr        string   `json:"expr"`
	Type        string   `json:"type"`
	Threshold   *float64 `json:"threshold"`
	Severity    string   `json:"severity"`
	AppliesTo   []string `json:"applies_to"`
	Scope       string   `json:"scope"`
}

// computeVersion hashes the rule's normalized definition: defaults applied,
// the expression's whitespace collapsed outside string literals, the
// description's whitespace collapsed, applies_to sorted.
func (r *Rule) computeVersion() string {
	applies := slices.Clone(r.AppliesTo)
	slices.Sort(applies)
	if applies == nil {
		applies = []string{}
	}
	b, err := json.Marshal(canonicalRule{
		ID:          r.ID,
		Description: strings.Join(strings.Fields(r.Description), " "),
		Expr:        NormalizeExpr(r.Expr),
		Type:        r.Type,
		Threshold:   r.Threshold,
		Severity:    r.Severity,
		AppliesTo:   applies,
		Scope:       string(r.Scope),
	})
	if err != nil { // only a NaN or infinite threshold, which Validate rejects
		b = fmt.Appendf(nil, "%#v", r)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// NormalizeExpr collapses each run of whitespace in an expression to one
// space and trims the ends, leaving string literals and comments intact: two
// expressions that differ only in layout normalize the same. A line comment
// keeps its ending newline, so normalizing never comments code out.
func NormalizeExpr(src string) string {
	var b strings.Builder
	b.Grow(len(src))
	sep := "" // what separates the next token from the last: "", " " or "\n"
	for i := 0; i < len(src); {
		c := src[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
			if sep == "" && b.Len() > 0 {
				sep = " "
			}
			i++
			continue
		}
		b.WriteString(sep)
		sep = ""
		end := i + 1
		switch {
		case c == '"' || c == '\'':
			for end < len(src) && src[end] != c {
				if src[end] == '\\' {
					end++
				}
				end++
			}
			end++
		case c == '`':
			for end < len(src) && src[end] != '`' {
				end++
			}
			end++
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for end < len(src) && src[end] != '\n' {
				end++
			}
			sep = "\n" // the comment must stay closed
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			if j := strings.Index(src[i+2:], "*/"); j >= 0 {
				end = i + 2 + j + 2
			} else {
				end = len(src)
			}
		}
		end = min(end, len(src))
		b.WriteString(src[i:end])
		i = end
	}
	return b.String()
}
