package evaluators

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// DefaultTimeout bounds one rule's evaluation on one run. A context with an
// earlier deadline shortens it.
const DefaultTimeout = 100 * time.Millisecond

// MaxIterations bounds the predicate iterations (one element of one
// all/any/map/filter/… pass) of one evaluation. Unlike the deadline it
// does not depend on the machine's speed or load: a rule that loops too
// much fails the same way everywhere.
const MaxIterations = 100_000

// MaxMapBytes bounds the values map collects in one evaluation, in bytes,
// roughly (see evalEnv.account).
const MaxMapBytes = 16 << 20

// Errors that stop an evaluation.
var (
	ErrDeadline   = errors.New("evaluators: rule exceeded its deadline")
	ErrIterations = fmt.Errorf("evaluators: rule exceeded %d predicate iterations", MaxIterations)
	ErrMapBytes   = fmt.Errorf("evaluators: rule's map results exceeded %d MiB", MaxMapBytes>>20)
)

// Verdict is one rule's result on one run. A rule that errors fails: Err is
// set and Passed is false, never the other way round.
type Verdict struct {
	RuleID      string `json:"rule_id"`
	RuleVersion string `json:"rule_version"`
	Passed      bool   `json:"passed"`
	// Score is a score rule's value; 1 or 0 for a bool rule.
	Score float64 `json:"score"`
	// Err is why the rule could not be evaluated, if it could not.
	Err string `json:"error,omitempty"`
	// Reason explains a failure in a few words ("score 0.42 < threshold
	// 0.7"); empty on a pass.
	Reason string `json:"reason,omitempty"`
}

// evalEnv is what a program runs against: the caller's Env, whose fields
// rules see at the top level, and this evaluation's limits. Checkpoint and
// Account are this evaluation's methods, which the compiled program calls
// at every predicate iteration and on every map result (see guard); the
// rest is unexported, out of the rule's reach.
type evalEnv struct {
	*Env
	Checkpoint func() bool    `expr:"_checkpoint_"`
	Account    func(any) bool `expr:"_account_"`

	ctx      context.Context
	timeout  time.Duration
	deadline time.Time // set at the first checkpoint
	ticks    uint32
	bytes    int // what map bodies returned, roughly
}

func newEvalEnv(ctx context.Context, env *Env, timeout time.Duration) *evalEnv {
	e := &evalEnv{Env: env, ctx: ctx, timeout: timeout}
	e.Checkpoint, e.Account = e.checkpoint, e.account
	return e
}

// reset readies a recycled evalEnv for an evaluation.
func (e *evalEnv) reset(ctx context.Context, env *Env, timeout time.Duration) {
	e.Env, e.ctx, e.timeout, e.deadline, e.ticks, e.bytes = env, ctx, timeout, time.Time{}, 0, 0
}

// account counts a value a map body returned, which the map keeps, against
// MaxMapBytes: strings by length, lists and maps by entries (expr's memory
// budget counts only elements, so a map of long strings escapes it).
func (e *evalEnv) account(v any) bool {
	size := 16
	switch x := v.(type) {
	case string:
		size += len(x)
	case []string:
		for _, s := range x {
			size += 16 + len(s)
		}
	case []any:
		size += 16 * len(x)
	case map[string]any:
		size += 48 * len(x)
	}
	e.bytes += size
	if e.bytes > MaxMapBytes {
		panic(ErrMapBytes)
	}
	return true
}

// evalEnvs recycles evalEnvs: with their two method values, each is three
// allocations an evaluation need not make.
var evalEnvs = sync.Pool{New: func() any { return newEvalEnv(nil, nil, 0) }}

// checkEvery is how many predicate iterations pass between clock and
// context checks. An iteration's own work is bounded by MaxNodes and the
// data's size, so the deadline is overshot by at most this many.
const checkEvery = 16

// checkpoint enforces MaxIterations, the deadline and ctx. It stops the VM
// by panicking with the error: the VM recovers it into a positioned error
// whose cause is the error (errors.Is works). It is a func() bool, not an
// expr.Function, because the VM calls those with an argument slice it
// allocates at every call.
func (e *evalEnv) checkpoint() bool {
	e.ticks++
	if e.ticks > MaxIterations {
		panic(ErrIterations)
	}
	if e.ticks%checkEvery != 1 {
		return true
	}
	now := time.Now()
	if e.deadline.IsZero() {
		// The first iteration starts the clock: straight-line code before it
		// is bounded by MaxNodes and cheap.
		e.deadline = now.Add(e.timeout)
		if d, ok := e.ctx.Deadline(); ok && d.Before(e.deadline) {
			e.deadline = d
		}
	}
	if now.After(e.deadline) {
		panic(ErrDeadline)
	}
	if err := e.ctx.Err(); err != nil {
		panic(err)
	}
	return true
}

// Eval runs the rule on one run. It never panics. The VM itself enforces
// the limits as it loops, and stops with an error verdict: MaxIterations,
// MaxMapBytes, the deadline (DefaultTimeout, or ctx's if earlier; checked
// every few iterations) and ctx's cancellation; expr enforces
// MemoryBudget. An evaluation that returns has stopped: nothing runs on in
// the background. Safe for concurrent use; env is only read.
func (r *Rule) Eval(ctx context.Context, env *Env) Verdict {
	v := Verdict{RuleID: r.ID, RuleVersion: r.Version}
	out, err := r.run(ctx, env)
	if err != nil {
		v.Err = errorText(err)
		v.Reason = "error: " + v.Err
		return v
	}
	switch x := out.(type) {
	case bool:
		v.Passed = x
		if x {
			v.Score = 1
		} else {
			v.Reason = "expr returned false"
		}
	case float64:
		v.Score = x
		thr := 0.0
		if r.Threshold != nil {
			thr = *r.Threshold
		}
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0):
			v.Err = fmt.Sprintf("score is %v", x)
			v.Reason = "error: " + v.Err
			v.Score = 0
		case x >= thr:
			v.Passed = true
		default:
			v.Reason = fmt.Sprintf("score %s < threshold %s", fmtNum(x), fmtNum(thr))
		}
	default:
		v.Err = fmt.Sprintf("expr returned %T, want %s", out, r.Type)
		v.Reason = "error: " + v.Err
	}
	return v
}

func (r *Rule) run(ctx context.Context, env *Env) (out any, err error) {
	if r.program == nil {
		return nil, fmt.Errorf("evaluators: rule %q is not compiled (load it with LoadDir, LoadFiles or Parse)", r.ID)
	}
	if env == nil {
		return nil, errors.New("evaluators: no environment")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := evalEnvs.Get().(*evalEnv)
	e.reset(ctx, env, DefaultTimeout)
	defer func() {
		e.Env, e.ctx = nil, nil // hold on to nothing of the caller's
		evalEnvs.Put(e)
		if p := recover(); p != nil { // the VM recovers its own panics; this is for the rest
			out, err = nil, fmt.Errorf("evaluators: panic: %v", p)
		}
	}()
	m := vm.VM{MemoryBudget: MemoryBudget}
	return m.Run(r.program, e)
}

// errorText is an evaluation error on one line: expr's message and where
// in the expression, without the source snippet.
func errorText(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		if fe.Line > 0 {
			return fmt.Sprintf("%s (expr %d:%d)", fe.Message, fe.Line, fe.Column+1)
		}
		return fe.Message
	}
	return err.Error()
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

// Eval runs the rules that judge runs of the scope — ScopeDataset or
// ScopeProduction — on env: those whose Scope is the same or ScopeBoth.
// ScopeBoth or "" runs every rule. Verdicts are in rule order.
func (rs *RuleSet) Eval(ctx context.Context, env *Env, scope Scope) []Verdict {
	out := make([]Verdict, 0, len(rs.Rules))
	for _, r := range rs.Rules {
		if scope == "" || scope == ScopeBoth || r.Scope == ScopeBoth || r.Scope == scope {
			out = append(out, r.Eval(ctx, env))
		}
	}
	return out
}
