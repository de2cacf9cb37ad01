package evaluators

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"go.yaml.in/yaml/v3"
)

// Limits on what a rule may do. Rules are user input: they compile against
// these, and every evaluation runs inside them (see Rule.Eval).
const (
	// MaxNodes bounds the expression's syntax tree.
	MaxNodes = 2000
	// MemoryBudget bounds what one evaluation may allocate, counted the way
	// expr counts it: in elements of ranges, arrays, maps and collection
	// builtins, not in bytes. Data already in the Env is not counted.
	MemoryBudget = 100_000
)

// DisabledBuiltins are expr builtins rules may not call: they amplify input
// into large allocations (repeat, replace, join, reduce with a growing
// accumulator, toJSON, fromJSON) or make a verdict depend on when it ran
// (now).
var DisabledBuiltins = []string{"toJSON", "fromJSON", "repeat", "replace", "join", "reduce", "now"}

// exprPos is where a rule's expr value sits in its YAML file.
type exprPos struct {
	line, col int // 1-based, of the scalar (its indicator for block scalars)
	style     yaml.Style
}

// CompileError is a rule expression that does not compile, positioned in
// its rules file where the YAML layout allows (block scalars, expr: |, and
// single-line values), else in the expression.
type CompileError struct {
	File   string
	RuleID string
	// Line and Column are 1-based, in the file when InFile, else in the
	// expression; Column counts characters.
	Line, Column int
	InFile       bool
	// ExprLine and ExprColumn are the 1-based position in the expression.
	ExprLine, ExprColumn int
	// Msg is expr's message, without position.
	Msg string
	// Source is the expression line at fault.
	Source string
	// exprKeyLine is the line of the expr: key, for errors without a position.
	exprKeyLine int
}

func (e *CompileError) Error() string {
	var b strings.Builder
	switch {
	case e.ExprLine == 0:
		fmt.Fprintf(&b, "%s:%d: rule %q: expr: %s", e.File, e.exprKeyLine, e.RuleID, e.Msg)
		return b.String()
	case e.InFile:
		fmt.Fprintf(&b, "%s:%d:%d: rule %q: expr: %s", e.File, e.Line, e.Column, e.RuleID, e.Msg)
	default:
		fmt.Fprintf(&b, "%s:%d: rule %q: expr %d:%d: %s", e.File, e.exprKeyLine, e.RuleID, e.ExprLine, e.ExprColumn, e.Msg)
	}
	src := strings.ReplaceAll(e.Source, "\t", " ")
	fmt.Fprintf(&b, "\n  | %s\n  | %s^", src, strings.Repeat(" ", e.ExprColumn-1))
	return b.String()
}

// compile compiles the expression once against Env, under the limits.
// lines are the file's lines, for positions.
func (r *Rule) compile(lines []string) error {
	g := &guard{}
	p, err := expr.Compile(r.Expr, compileOptions(r.Type, g)...)
	if err == nil && g.disabled != nil {
		// expr cannot disable predicate builtins (reduce); the guard saw it.
		fe := &file.Error{Location: g.disabled.Location(), Message: "unknown name " + g.disabled.Name}
		err = fe.Bind(file.NewSource(r.Expr))
	}
	if err != nil {
		return r.compileError(err, lines)
	}
	r.program = p
	return nil
}

func compileOptions(typ string, g *guard) []expr.Option {
	opts := []expr.Option{
		expr.Env(evalEnv{}),
		expr.MaxNodes(MaxNodes),
		expr.Patch(g),
	}
	for _, name := range DisabledBuiltins {
		opts = append(opts, expr.DisableBuiltin(name))
	}
	if typ == TypeScore {
		return append(opts, expr.AsFloat64())
	}
	return append(opts, expr.AsBool())
}

// compileError positions expr's error in the rules file.
func (r *Rule) compileError(err error, lines []string) error {
	ce := &CompileError{File: r.File, RuleID: r.ID, Msg: explain(err.Error()), exprKeyLine: r.keyLine["expr"]}
	var fe *file.Error
	if !errors.As(err, &fe) {
		return ce
	}
	ce.Msg = explain(fe.Message)
	if r.exprPos.style == 0 && r.exprPos.line >= 1 && r.exprPos.line <= len(lines) &&
		strings.Contains(lines[r.exprPos.line-1], " #") {
		ce.Msg += ` (in YAML, " #" starts a comment: quote the expression or write it as a block, expr: |)`
	}
	exprLines := strings.Split(r.Expr, "\n")
	if fe.Line < 1 || fe.Line > len(exprLines) {
		return ce
	}
	ce.ExprLine, ce.ExprColumn = fe.Line, fe.Column+1
	ce.Source = exprLines[fe.Line-1]
	ce.Line, ce.Column, ce.InFile = r.filePos(lines, fe.Line, fe.Column)
	if !ce.InFile {
		ce.Line, ce.Column = ce.ExprLine, ce.ExprColumn
	}
	return ce
}

var (
	unknownNameRE  = regexp.MustCompile(`^unknown name (\w+)`)
	noFieldRE      = regexp.MustCompile(`^type evaluators\.(\w+) has no field (\w+)`)
	goTypePrefixRE = regexp.MustCompile(`\bevaluators\.`)
)

// explain adds what a rule author needs to expr's message: which builtins
// are disabled, which fields a type has, in rule terms.
func explain(msg string) string {
	if m := unknownNameRE.FindStringSubmatch(msg); m != nil && slices.Contains(DisabledBuiltins, m[1]) {
		return m[1] + " is disabled in rules (see Limits in docs/rules.md)"
	}
	if m := noFieldRE.FindStringSubmatch(msg); m != nil {
		if t := envTypes()[m[1]]; t != nil {
			fields := slices.Collect(maps.Keys(exprFields(t)))
			slices.Sort(fields)
			msg += " (" + m[1] + " fields: " + strings.Join(fields, ", ") + ")"
		}
	}
	switch {
	case strings.HasPrefix(msg, "expected bool"):
		msg += " (a bool rule's expr must be true or false; for a number use type: score)"
	case strings.HasPrefix(msg, "expected float64"):
		msg += " (a score rule's expr must be a number)"
	}
	return goTypePrefixRE.ReplaceAllString(msg, "")
}

// envTypes are Env's struct types by Go name.
func envTypes() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == timeType || out[t.Name()] != nil {
			return
		}
		out[t.Name()] = t
		for i := range t.NumField() {
			walk(t.Field(i).Type)
		}
	}
	walk(reflect.TypeFor[Env]())
	return out
}

// filePos maps a position in the expression (1-based line, 0-based column
// in characters) to the file. Literal blocks map line for line; other
// styles map only when the value is on one line and appears verbatim.
func (r *Rule) filePos(lines []string, eline, ecol int) (line, col int, ok bool) {
	exprLine := strings.Split(r.Expr, "\n")[eline-1]
	switch {
	case r.exprPos.style&yaml.LiteralStyle != 0:
		line = r.exprPos.line + eline // the block starts below its | indicator
	case r.exprPos.style&yaml.FoldedStyle != 0 || strings.Contains(strings.TrimRight(r.Expr, "\n"), "\n"):
		return 0, 0, false
	default:
		line = r.exprPos.line
	}
	if line < 1 || line > len(lines) || exprLine == "" {
		return 0, 0, false
	}
	fl := lines[line-1]
	from := 0
	if r.exprPos.style&yaml.LiteralStyle == 0 {
		from = min(max(r.exprPos.col-1, 0), len(fl)) // the value's own column: skip "expr:"
	}
	i := strings.Index(fl[from:], exprLine)
	if i < 0 {
		return 0, 0, false // escapes in a quoted value: positions differ
	}
	return line, utf8.RuneCountInString(fl[:from+i]) + ecol + 1, true
}

// checkpointFunc is what the compiled program calls at every iteration of
// every predicate (all, any, map, filter, …): evalEnv.Checkpoint, how an
// evaluation's limits reach into the VM.
const checkpointFunc = "_checkpoint_"

// accountFunc is what a map body's value passes through: evalEnv.Account.
const accountFunc = "_account_"

// guard is the compile-time visitor that makes a rule stoppable. It turns
// each predicate body p into `_checkpoint_(); p`, and each map body into
// `_checkpoint_(); let _mappedN_ = p; _account_(_mappedN_); _mappedN_`, so
// that what map collects is counted in bytes (evalEnv.account). It notes
// any disabled builtin the parser let through.
type guard struct {
	disabled *ast.BuiltinNode
	vars     int
}

func (g *guard) Visit(node *ast.Node) {
	// Walk visits children first: a map's predicate is already patched when
	// the map itself is visited.
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		if g.disabled == nil && slices.Contains(DisabledBuiltins, n.Name) {
			g.disabled = n
		}
		if n.Name != "map" || len(n.Arguments) != 2 {
			return
		}
		if p, ok := n.Arguments[1].(*ast.PredicateNode); ok {
			if seq, ok := p.Node.(*ast.SequenceNode); ok && len(seq.Nodes) == 2 {
				seq.Nodes[1] = g.accounted(seq.Nodes[1])
			}
		}
	case *ast.PredicateNode:
		if n.Node == nil {
			return
		}
		call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: checkpointFunc}}
		n.Node = located(n.Node.Location(), &ast.SequenceNode{Nodes: []ast.Node{call, n.Node}}, call, call.Callee)
	}
}

// accounted wraps a map body so its value passes through _account_.
func (g *guard) accounted(body ast.Node) ast.Node {
	name := fmt.Sprintf("_mapped%d_", g.vars)
	g.vars++
	use, ret := &ast.IdentifierNode{Value: name}, &ast.IdentifierNode{Value: name}
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: accountFunc}, Arguments: []ast.Node{use}}
	seq := &ast.SequenceNode{Nodes: []ast.Node{call, ret}}
	decl := &ast.VariableDeclaratorNode{Name: name, Value: body, Expr: seq}
	return located(body.Location(), decl, seq, call, call.Callee, use, ret)
}

// located gives new nodes the location of the code they stand for.
func located(loc file.Location, first ast.Node, rest ...ast.Node) ast.Node {
	first.SetLocation(loc)
	for _, n := range rest {
		n.SetLocation(loc)
	}
	return first
}
