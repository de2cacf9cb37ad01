// Command gen writes evalhouse's support-bot demo scenario: three releases of
// a customer-support agent as native envelope events (NDJSON): a good
// baseline, a regression and its fix; a malformed file for the ingest error
// path; and the list of secrets planted in them.
//
// Run it from the repository root:
//
//	go run ./examples/support-agent/gen
//
// The output is deterministic (a fixed PCG seed and a fixed base time), so
// regenerating gives byte-identical files. It prints the expected counts that
// examples/support-agent/README.md quotes; gen's test checks both.
//
// It uses the standard library only and mirrors the envelope's JSON field
// names (ingest/envelope) in its own struct; the test checks they agree.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// Seed and base time: change either and every output file changes.
const (
	seed1 = 20261120
	seed2 = 0x5eed_b07
)

var baseTime = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

const (
	tenant    = "acme"
	actor     = "support-bot"
	datasetV1 = "support-bot@v1"
	// support-bot@v2 is v1 plus the case `evalhouse incident promote` made
	// from 2.4.0's production run p04.
	datasetV2      = "support-bot@v2"
	incidentCaseID = "incident-run-2-4-0-p04"
)

// Event and Freshness are the envelope's own types: the generator writes
// exactly what evalhouse decodes.
type (
	Event     = envelope.Event
	Freshness = envelope.Freshness
)

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }
func bptr(v bool) *bool      { return &v }

// prices are list USD per million tokens (input, output); they match
// pricing/prices.yaml and are used only for the cost_usd that some
// production model events report themselves and for the printed estimate.
var prices = map[string][2]float64{
	"gpt-4o":          {2.50, 10.00},
	"gpt-4o-mini":     {0.15, 0.60},
	"claude-sonnet-4": {3.00, 15.00},
}

func costUSD(model string, in, out int64) float64 {
	p := prices[model]
	return math.Round((float64(in)*p[0]+float64(out)*p[1])/1e6*1e6) / 1e6
}

func main() {
	dir := flag.String("out", filepath.Join("examples", "support-agent"), "directory to write the scenario files into")
	check := flag.Bool("check", false, "do not write; fail if the files on disk differ from what would be generated")
	flag.Parse()

	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		fmt.Fprintf(os.Stderr, "gen: output directory %s not found; run from the repository root or pass -out\n", *dir)
		os.Exit(2)
	}
	out, err := Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(out.Files))
	for name := range out.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	stale := false
	for _, name := range names {
		path := filepath.Join(*dir, name)
		if *check {
			old, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(old, out.Files[name]) {
				fmt.Fprintf(os.Stderr, "gen: %s is out of date\n", path)
				stale = true
			}
			continue
		}
		if err := os.WriteFile(path, out.Files[name], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Printf("wrote %s (%d bytes)\n", path, len(out.Files[name]))
	}
	if stale {
		os.Exit(1)
	}
	fmt.Println()
	fmt.Print(out.Summary)
}
