package reports

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
)

// Expectations for cron (--fail-on): an expression in the rule language
// (expr-lang) over a report's summary, the Env below, that is true when
// the expectation is breached (docs/reports.md, Expectations for cron).

// Expectation is one --fail-on expression and what it found.
type Expectation struct {
	Expr     string `json:"expr"`
	Breached bool   `json:"breached"`
	// Values are the summary's values the expression names, in the order
	// it names them: what a reader needs to see why.
	Values []ExpectValue `json:"values,omitempty"`
}

// ExpectValue is one named value of the summary.
type ExpectValue struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// ExprError is an expression that does not parse, compile or run, with
// its 1-based position in the expression (0 when expr gave none).
type ExprError struct {
	Expr         string
	Line, Column int
	Msg          string
}

func (e *ExprError) Error() string {
	if e.Line == 0 {
		return "--fail-on: " + e.Msg
	}
	lines := strings.Split(e.Expr, "\n")
	src := strings.ReplaceAll(lines[min(e.Line, len(lines))-1], "\t", " ")
	return fmt.Sprintf("--fail-on: line %d, column %d: %s\n  | %s\n  | %s^", e.Line, e.Column, e.Msg, src, strings.Repeat(" ", e.Column-1))
}

// MaxExprNodes bounds an expectation's syntax tree.
const MaxExprNodes = 2000

func exprError(src string, err error) error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return &ExprError{Expr: src, Msg: err.Error()}
	}
	if fe.Line == 0 {
		fe = fe.Bind(file.NewSource(src))
	}
	return &ExprError{Expr: src, Line: fe.Line, Column: fe.Column + 1, Msg: fe.Message}
}

// ParseExpectation checks src's syntax, before any query runs.
func ParseExpectation(src string) error {
	if strings.TrimSpace(src) == "" {
		return &ExprError{Expr: src, Msg: "empty expression"}
	}
	if _, err := parser.Parse(src); err != nil {
		return exprError(src, err)
	}
	return nil
}

// Expect evaluates src over r's summary (Env), records the result in
// r.Expectation and returns it. A name the summary lacks, a value of the
// wrong type or a result that is not a bool is an *ExprError.
func Expect(r *Report, src string) (*Expectation, error) {
	if err := ParseExpectation(src); err != nil {
		return nil, err
	}
	env := Env(r)
	tree, _ := parser.Parse(src)
	chains := namedChains(&tree.Node)
	for _, c := range chains {
		if err := checkChain(c, env); err != nil {
			return nil, exprError(src, err)
		}
	}
	prog, err := expr.Compile(src, expr.Env(env), expr.AsBool(), expr.MaxNodes(MaxExprNodes))
	if err != nil {
		return nil, exprError(src, err)
	}
	out, err := expr.Run(prog, env)
	if err != nil {
		return nil, exprError(src, err)
	}
	e := &Expectation{Expr: src, Breached: out.(bool)}
	seen := map[string]bool{}
	runes := []rune(src)
	for _, c := range chains {
		name := c.String()
		if from, to := span(c, runes); from >= 0 && from < to && to <= len(runes) {
			name = string(runes[from:to]) // as written
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		if v, err := expr.Eval(name, env); err == nil {
			switch v.(type) {
			case float64, int, string, bool:
				e.Values = append(e.Values, ExpectValue{Name: name, Value: v})
			}
		}
	}
	r.Expectation = e
	return e, nil
}

// Summary is the expectation in one line: what it says and the values it
// read.
func (e *Expectation) Summary() string {
	s := "`" + e.Expr + "`"
	var vs []string
	for _, v := range e.Values {
		val := fmt.Sprint(v.Value)
		if f, ok := v.Value.(float64); ok {
			val = strconv.FormatFloat(f, 'f', -1, 64)
		}
		vs = append(vs, v.Name+" = "+val)
	}
	if len(vs) > 0 {
		s += " (" + strings.Join(vs, ", ") + ")"
	}
	return s
}

// Verdict is "breached" or "held".
func (e *Expectation) Verdict() string {
	if e.Breached {
		return "breached"
	}
	return "held"
}

// namedChains are the expression's outermost names and member accesses
// on them (policy.false_allow, tools[0].error_rate), in source order; not
// those on a predicate's element (.error_rate).
func namedChains(root *ast.Node) []ast.Node {
	var all []ast.Node
	inner := map[ast.Node]bool{}
	ast.Find(*root, func(n ast.Node) bool {
		if rootIdent(n) != nil {
			all = append(all, n)
			if m, ok := n.(*ast.MemberNode); ok {
				inner[m.Node] = true
			}
		}
		return false
	})
	var out []ast.Node
	for _, n := range all {
		if !inner[n] {
			out = append(out, n)
		}
	}
	slices.SortStableFunc(out, func(a, b ast.Node) int {
		return cmp.Compare(rootIdent(a).Location().From, rootIdent(b).Location().From)
	})
	return out
}

// span is where chain n is written in the expression, in runes: from its
// identifier to its last property (and the bracket closing it).
func span(n ast.Node, src []rune) (from, to int) {
	from, to = rootIdent(n).Location().From, n.Location().To
	if m, ok := n.(*ast.MemberNode); ok {
		to = m.Property.Location().To
		if to < len(src) && src[to] == ']' {
			to++
		}
	}
	return from, to
}

// rootIdent is the identifier a chain of constant member accesses starts
// from, or nil.
func rootIdent(n ast.Node) *ast.IdentifierNode {
	for {
		switch x := n.(type) {
		case *ast.IdentifierNode:
			return x
		case *ast.MemberNode:
			switch x.Property.(type) {
			case *ast.StringNode, *ast.IntegerNode:
			default:
				return nil
			}
			n = x.Node
		default:
			return nil
		}
	}
}

// checkChain fails on a key the summary does not have, naming where it is
// and what there is instead: a typo must not read as nil.
func checkChain(n ast.Node, env map[string]any) error {
	var path []ast.Node
	for m, ok := n.(*ast.MemberNode); ok; m, ok = m.Node.(*ast.MemberNode) {
		path = append([]ast.Node{m}, path...)
	}
	id := rootIdent(n)
	if id == nil {
		return nil
	}
	cur, ok := env[id.Value]
	if !ok {
		return nil // a let variable or a builtin: the compiler knows it
	}
	for _, p := range path {
		m := p.(*ast.MemberNode)
		switch v := cur.(type) {
		case map[string]any:
			s, isKey := m.Property.(*ast.StringNode)
			if !isKey {
				return nil
			}
			next, found := v[s.Value]
			if !found && !m.Optional {
				keys := slices.Sorted(maps.Keys(v))
				return &file.Error{Location: m.Property.Location(), Message: fmt.Sprintf("%s has no %q (it has %s)", m.Node.String(), s.Value, strings.Join(keys, ", "))}
			}
			cur = next
		case []any:
			i, isIndex := m.Property.(*ast.IntegerNode)
			if !isIndex || i.Value < 0 || i.Value >= len(v) {
				return nil
			}
			cur = v[i.Value]
		default:
			return nil
		}
	}
	return nil
}

// Env is a report's summary as --fail-on reads it:
//
//   - report: the report's name;
//   - one list per table, named by its title's slug (Slug: "Tools" is
//     tools, "Cost by release" is cost_by_release): its rows, each a map
//     of the dimensions (strings), "bucket" (as the text formats show
//     it) and the metrics (numbers);
//   - totals: each count, token and dollar metric summed over the rows of
//     the first table that has it (totals.cost_usd);
//   - policy (the policy report): cases, false_allow, false_deny,
//     false_allow_rate and false_deny_rate over every policy version, and
//     versions, the same per version (policy.versions["v3"].false_allow).
func Env(r *Report) map[string]any {
	env := map[string]any{"report": r.Name}
	totals := map[string]any{}
	for _, t := range r.Tables {
		name := Slug(t.Title)
		for n := 2; env[name] != nil || name == "totals" || name == "policy"; n++ {
			name = fmt.Sprintf("%s_%d", Slug(t.Title), n)
		}
		rows := make([]any, len(t.Rows))
		for i, row := range t.Rows {
			m := map[string]any{}
			if t.HasBucket() {
				m["bucket"] = t.BucketCell(row.Bucket)
			}
			for j, d := range t.Dims {
				if j < len(row.Dims) {
					m[d] = row.Dims[j]
				}
			}
			for j, mt := range t.Metrics {
				m[mt.Name] = row.Values[j]
			}
			rows[i] = m
		}
		env[name] = rows
		for j, mt := range t.Metrics {
			if _, done := totals[mt.Name]; done || !additive(mt) {
				continue
			}
			var sum float64
			for _, row := range t.Rows {
				sum += row.Values[j]
			}
			totals[mt.Name] = sum
		}
	}
	env["totals"] = totals
	if r.Name == "policy" || len(r.Matrices) > 0 {
		versions := map[string]any{}
		for _, m := range r.Matrices {
			versions[m.PolicyVersion] = matrixEnv(m)
		}
		p := matrixEnv(Total(r.Matrices))
		p["versions"] = versions
		env["policy"] = p
	}
	return env
}

func matrixEnv(m *Matrix) map[string]any {
	return map[string]any{"cases": m.Cases, "false_allow": m.FalseAllow, "false_deny": m.FalseDeny,
		"false_allow_rate": m.FalseAllowRate, "false_deny_rate": m.FalseDenyRate}
}

// Slug is a table's name in Env: its title in lower case, each run of
// characters other than ASCII letters and digits one underscore, "t_"
// in front when it would start with a digit.
func Slug(title string) string {
	var b strings.Builder
	sep := false
	for _, c := range strings.ToLower(title) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(c)
			sep = false
		} else {
			sep = true
		}
	}
	s := b.String()
	if s == "" || s[0] <= '9' {
		s = "t_" + s
	}
	return s
}
