// Command gen writes the rollout example's production traffic (native
// envelope NDJSON) into examples/rollout: the stable release 2.4.1, the
// canary 2.5.0 whose new refund tool schema fails one refund in three, and
// its fix 2.5.1. All three run side by side in the same 45 minutes, as a
// canary runs beside the stable release; each run is a run event, a model
// call, an order lookup, a refund and the refund policy's decision.
//
// Run it from the repository root:
//
//	go run ./examples/rollout/gen          # write the files
//	go run ./examples/rollout/gen -check   # fail if they are out of date
//
// The output is deterministic (a fixed PCG seed and a fixed base time);
// `make demo` restamps the files to just before now before it ingests them
// (go run ./examples/restamp -exact).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// Before the newest support-agent event (2026-11-22T15:00Z), so a restamp of
// the whole examples tree keeps its offset.
var baseTime = time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)

// release is one release's traffic.
type release struct {
	name, file     string
	prompt         string
	refundSchema   string
	runs           int
	refundFailEach int // every n-th run's refund fails (0: none beyond the baseline's one)
}

var releases = []release{
	{name: "2.4.1", file: "events-stable-2.4.1.ndjson", prompt: "support@14", refundSchema: "2", runs: 80},
	{name: "2.5.0", file: "events-canary-2.5.0.ndjson", prompt: "support@15", refundSchema: "3", runs: 60, refundFailEach: 3},
	{name: "2.5.1", file: "events-canary-2.5.1.ndjson", prompt: "support@15", refundSchema: "3.1", runs: 60},
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }

// Generate returns each file's bytes by name.
func Generate() (map[string][]byte, error) {
	out := map[string][]byte{}
	for ri, rel := range releases {
		rng := rand.New(rand.NewPCG(20261124, uint64(ri)))
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		for i := 0; i < rel.runs; i++ {
			start := baseTime.Add(time.Duration(float64(45*time.Minute) * float64(i) / float64(rel.runs)))
			tenant := []string{"acme", "globex", "initech"}[rng.IntN(3)]
			runID := fmt.Sprintf("run-%s-%03d", rel.name, i)
			trace := fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
			spanBase := rng.Uint64() &^ 0xff
			span := func(k string) string { return fmt.Sprintf("%016x", spanBase|uint64(k[0])) }
			// The stable release's one failed refund; the canary's every
			// refundFailEach-th.
			fail := (rel.refundFailEach == 0 && i == 7) || (rel.refundFailEach > 0 && i%rel.refundFailEach == 1)
			status, refundStatus := "ok", "ok"
			if fail {
				status, refundStatus = "error", "error"
			}
			in, outTok := int64(900+rng.IntN(400)), int64(120+rng.IntN(120))
			cost := math.Round((float64(in)*2.5+float64(outTok)*10)/1e6*1e6) / 1e6
			modelMS := 700 + float64(rng.IntN(600))
			lookupMS, refundMS := 40+float64(rng.IntN(60)), 120+float64(rng.IntN(180))
			if fail {
				refundMS = 30 + float64(rng.IntN(20)) // refused at once: schema mismatch
			}
			runMS := modelMS + lookupMS + refundMS + 50
			common := func(kind envelope.Kind, off time.Duration, sp string) envelope.Event {
				return envelope.Event{Kind: kind, EventID: fmt.Sprintf("evt_%s_%03d_%s", rel.name, i, sp), TraceID: trace, SpanID: span(sp),
					ParentSpanID: span("r"), RunID: runID, Tenant: tenant, Environment: "production", Release: rel.name, TS: start.Add(off), Status: "ok"}
			}
			run := common(envelope.KindRun, 0, "r")
			run.ParentSpanID, run.Status, run.DurationMS = "", status, f64(runMS)
			run.Actor, run.Task, run.Input, run.Output = "support-bot", "refund", "I was charged twice for order ORD-"+fmt.Sprint(40000+i), "refunded the duplicate charge"
			run.StopReason = "completed"
			if fail {
				run.Output, run.StopReason = "sorry, the refund could not be issued", "error"
			}
			model := common(envelope.KindModel, 10*time.Millisecond, "m")
			model.DurationMS, model.Model, model.PromptVersion, model.InputRef, model.OutputStatus = f64(modelMS), "gpt-4o", rel.prompt, "msg_"+runID, "ok"
			model.InputTokens, model.OutputTokens, model.CostUSD, model.LatencyMS = i64(in), i64(outTok), f64(cost), f64(modelMS)
			lookup := common(envelope.KindTool, time.Duration(modelMS+20)*time.Millisecond, "l")
			lookup.DurationMS, lookup.Tool, lookup.Args, lookup.Authorization, lookup.RetryCount, lookup.SideEffect =
				f64(lookupMS), "lookup_order", map[string]any{"order_id": fmt.Sprintf("ORD-%d", 40000+i)}, "allowed", i64(0), "read"
			lookup.IdempotencyKey = "idem_" + span("l")
			policy := common(envelope.KindPolicy, time.Duration(modelMS+lookupMS+25)*time.Millisecond, "p")
			policy.DurationMS, policy.PolicyVersion, policy.Decision, policy.ReasonCode, policy.Enforcement = f64(4), "refund-policy@7", "allow", "within_limit", "enforced"
			refund := common(envelope.KindTool, time.Duration(modelMS+lookupMS+30)*time.Millisecond, "x")
			refund.DurationMS, refund.Status, refund.Tool, refund.Authorization, refund.RetryCount, refund.SideEffect =
				f64(refundMS), refundStatus, "issue_refund", "allowed", i64(0), "external"
			refund.Args = map[string]any{"order_id": fmt.Sprintf("ORD-%d", 40000+i), "amount_usd": 20 + i%50}
			refund.IdempotencyKey = "idem_" + span("x")
			refund.Attributes = map[string]any{"evalhouse.tool.schema_version": rel.refundSchema}
			if fail {
				refund.Attributes["error.type"] = "schema_mismatch"
			}
			for _, ev := range []envelope.Event{run, model, lookup, policy, refund} {
				if err := enc.Encode(ev); err != nil {
					return nil, err
				}
			}
		}
		out[rel.file] = b.Bytes()
	}
	return out, nil
}

func main() {
	dir := flag.String("out", filepath.Join("examples", "rollout"), "directory to write the files into")
	check := flag.Bool("check", false, "do not write; fail if the files on disk differ from what would be generated")
	flag.Parse()
	files, err := Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	stale := false
	for _, rel := range releases {
		path := filepath.Join(*dir, rel.file)
		if *check {
			if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, files[rel.file]) {
				fmt.Fprintf(os.Stderr, "gen: %s is out of date (go run ./examples/rollout/gen)\n", path)
				stale = true
			}
			continue
		}
		if err := os.WriteFile(path, files[rel.file], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Printf("wrote %s (%d runs)\n", path, rel.runs)
	}
	if stale {
		os.Exit(1)
	}
}
