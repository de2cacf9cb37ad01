package evaluators

import (
	"context"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

// Rules are user input. Each of these is rejected when it compiles, or
// stopped with an error verdict — never a pass — within bounded time and
// memory, and none crashes the process.
//
// Time is bounded generously (2 s, against a 100 ms deadline): the test
// asserts that a runaway rule is stopped at all, not how fast, so a loaded
// CI machine or the race detector (5-20× slower) cannot make it flake. The
// deadline's precision is the checkpoint's business, tested separately.
// Memory is the peak growth of the heap's live and not-yet-swept objects
// during one evaluation, sampled every 100 µs, bounded at 64 MiB; the
// total allocated is logged (garbage a loop drops counts there, though the
// collector reclaims it as it goes).

// bigEnv has lists large enough that nested loops over them run for hours
// and nested maps over them would allocate gigabytes.
func bigEnv() *Env {
	env := &Env{Run: Run{Status: "ok", Output: strings.Repeat("reply ", 40)}} // support-bot sized
	env.ToolCalls = make([]ToolCall, 5000)
	for i := range env.ToolCalls {
		env.ToolCalls[i] = ToolCall{Tool: "lookup_order", Status: "ok", Authorization: "allowed", SideEffect: "read"}
	}
	env.Retrievals = make([]Retrieval, 2000)
	for i := range env.Retrievals {
		env.Retrievals[i].SourceIDs = []string{"kb:a", "kb:b", "kb:c"}
	}
	return env
}

// deepEnv nests case.input deeper than any builtin may recurse.
func deepEnv(depth int) *Env {
	var v any = "leaf"
	for range depth {
		v = []any{v}
	}
	return &Env{Case: Case{Input: v, Expected: map[string]any{"nested": v}}}
}

func TestAdversarialRulesRejectedAtCompile(t *testing.T) {
	for expr, want := range map[string]string{
		`len(repeat("x", 1000000000)) > 0`:                                       "repeat is disabled in rules",
		`len(toJSON(1..999990)) > 0`:                                             "toJSON is disabled in rules",
		`fromJSON(run.output) != nil`:                                            "fromJSON is disabled in rules",
		`len(reduce(1..64, #acc + #acc, "ab")) > 0`:                              "reduce is disabled in rules",
		`len(replace(run.output, "", run.output)) > 0`:                           "replace is disabled in rules",
		`len(join(map(1..99999, run.output), "")) > 0`:                           "join is disabled in rules",
		`now() > date("2026-01-01")`:                                             "now is disabled in rules",
		`sum(map(1..1e7, #)) > 0`:                                                "mismatched types int and float64",
		"len(" + strings.Repeat("[", 3000) + strings.Repeat("]", 3000) + ") > 0": "exceeds maximum allowed nodes",
	} {
		_, err := Parse("adversarial.yaml", []byte("rules:\n  - id: a\n    expr: |\n"+indent(expr, "      ")))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.60s: compiled or wrong error (want %q): %v", expr, want, err)
		}
	}
}

func TestAdversarialRulesStoppedAtRun(t *testing.T) {
	big := bigEnv()
	for _, c := range []struct {
		name, expr string
		env        *Env
		want       string // matches the verdict's error; which limit trips first may depend on speed
	}{
		{"huge range", `len(map(1..100000000, #)) > 0`, big, "memory budget exceeded"},
		{"sum of a huge map", `sum(map(1..10000000, #)) > 0`, big, "memory budget exceeded"},
		{"range in a loop", `all(1..50000, len(1..50000) > 0)`, big, "memory budget exceeded"},
		{"nested maps over data", `len(map(tool_calls, map(tool_calls, map(tool_calls, #)))) > 0`, big, "memory budget|iterations|deadline"},
		{"nested loops over data", `all(tool_calls, all(tool_calls, all(tool_calls, .status == "ok")))`, big, "exceeded 100000 predicate iterations|deadline"},
		{"counting a cross product", `count(tool_calls, count(tool_calls, count(retrievals, true) == 2000) == 5000) == 5000`, big, "exceeded 100000 predicate iterations|deadline"},
		{"sorting in a loop", `all(tool_calls, len(sortBy(tool_calls, .tool)) > 0)`, big, ""},
		{"strings in a loop", `len(map(1..99999, run.output + run.output + run.output)) > 0`, big, "map results exceeded 16 MiB|deadline"},
		{"lists in a loop", `len(map(tool_calls, split(run.output, ""))) > 0`, big, "map results exceeded 16 MiB|deadline"},
		{"splitting in a loop", `all(1..99999, len(split(run.output, "")) > 0) && all(tool_calls, all(tool_calls, true))`, big, ""},
		{"flatten deep data", `len(flatten([case.input])) > 0`, deepEnv(20000), "recursion depth exceeded"},
		{"max over deep data", `max(case.expected.nested) != nil`, deepEnv(20000), ""},
		{"divide by zero", `1 % (len(tool_calls) - len(tool_calls)) == 0`, big, "integer divide by zero"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := boolRule(t, c.expr)
			var v Verdict
			elapsed, peak, allocated := measure(func() { v = r.Eval(context.Background(), c.env) })
			if v.Passed || v.Err == "" {
				t.Fatalf("verdict %+v: want an error, not a pass or a plain failure", v)
			}
			if !regexp.MustCompile(c.want).MatchString(v.Err) {
				t.Errorf("error %q does not match %q", v.Err, c.want)
			}
			if elapsed > 2*time.Second {
				t.Errorf("took %v: the rule was not stopped", elapsed)
			}
			if peak > 64<<20 {
				t.Errorf("heap grew %d MiB, over 64 MiB", peak>>20)
			}
			t.Logf("%v, heap +%d KiB, allocated %d KiB: %s", elapsed.Round(time.Millisecond), peak>>10, allocated>>10, v.Err)
		})
	}
}

// measure runs f and reports its wall time, the peak growth of the heap
// meanwhile, and the bytes allocated meanwhile (the process's, so these
// tests do not run in parallel).
func measure(f func()) (elapsed time.Duration, peak, allocated uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	base := heap()
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var top uint64
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			top = max(top, heap())
			select {
			case <-stop:
				done <- top
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	f()
	elapsed = time.Since(start)
	close(stop)
	top := max(<-done, heap())
	runtime.ReadMemStats(&after)
	if top > base {
		peak = top - base
	}
	return elapsed, peak, after.TotalAlloc - before.TotalAlloc
}

// TestDeadlineStopsTheVM: a rule stopped at its deadline is no longer
// running, so a gate evaluating thousands of runs with a bad rule never
// piles up goroutines burning CPU. Each iteration here is slow (a split),
// so the deadline trips long before MaxIterations.
func TestDeadlineStopsTheVM(t *testing.T) {
	r := boolRule(t, `all(tool_calls, all(tool_calls, len(split(run.output, "")) > 0))`)
	env := bigEnv()
	before := runtime.NumGoroutine()
	for range 5 {
		if v := r.Eval(context.Background(), env); !strings.Contains(v.Err, "deadline") {
			t.Fatalf("verdict %+v", v)
		}
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after, %d before: evaluations left work behind", n, before)
	}
	// A context deadline earlier than DefaultTimeout's wins.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	e := newEvalEnv(ctx, env, DefaultTimeout)
	tick(e)
	if d, _ := ctx.Deadline(); !e.deadline.Equal(d) {
		t.Errorf("deadline %v, want the context's %v", e.deadline, d)
	}
	if v := r.Eval(ctx, env); !strings.Contains(v.Err, "deadline") {
		t.Errorf("verdict %+v", v)
	}
}
