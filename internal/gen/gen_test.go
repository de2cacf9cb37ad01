package gen_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/internal/gen"
	"github.com/evalhouse/evalhouse/pricing"
)

// fixedNow is a fixed end of the window: the generator's bytes depend on it,
// so a golden hash needs one. Nothing here is ingested, so no retention or
// calendar applies.
var fixedNow = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

func generate(t testing.TB, cfg gen.Config) ([]byte, gen.Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := gen.Write(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), st
}

func lines(b []byte) [][]byte {
	return bytes.SplitAfter(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
}

// The same seed and hour give the same bytes: a golden hash pins the first
// 2,000 lines (change it only with a deliberate change to the generator,
// and say so in the commit), a later minute of the same hour changes
// nothing, and another seed or hour changes everything.
func TestDeterministic(t *testing.T) {
	cfg := gen.Config{Events: 5000, Seed: 42, Now: fixedNow}
	a, _ := generate(t, cfg)
	first := bytes.Join(lines(a)[:2000], nil)
	sum := sha256.Sum256(first)
	const golden = "c1b8b7f41860ffc3470ca700a59379f4daa3518bc1962666efba255ba2736686"
	if got := hex.EncodeToString(sum[:]); got != golden {
		t.Errorf("sha256 of the first 2000 lines is %s, want %s", got, golden)
	}
	cfg.Now = fixedNow.Add(59*time.Minute + 59*time.Second)
	if b, _ := generate(t, cfg); !bytes.Equal(a, b) {
		t.Error("a later time in the same hour changed the output")
	}
	cfg.Now = fixedNow.Add(time.Hour)
	if b, _ := generate(t, cfg); bytes.Equal(a[:4096], b[:4096]) {
		t.Error("another hour gave the same output")
	}
	cfg.Now, cfg.Seed = fixedNow, 43
	if b, _ := generate(t, cfg); bytes.Equal(a[:4096], b[:4096]) {
		t.Error("another seed gave the same output")
	}
}

// Every line decodes strictly and, priced as ingest prices it, satisfies
// the trace contract; every event lies in the window.
func TestEveryEventKeepsTheContract(t *testing.T) {
	cfg := gen.Config{Events: 30000, Seed: 7, Now: fixedNow, Since: 7 * 24 * time.Hour, Releases: 9, Tenants: 16}
	out, st := generate(t, cfg)
	prices := pricing.Default()
	var prevRun time.Time
	for i, ln := range lines(out) {
		ev, err := envelope.Decode(ln)
		if err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, ln)
		}
		if !json.Valid(ln) {
			t.Fatalf("line %d is not valid JSON", i+1)
		}
		ev.FillCost(prices)
		if v := envelope.Check(ev); v != nil {
			t.Fatalf("line %d breaks the contract: %v\n%s", i+1, v, ln)
		}
		if ev.TS.Before(st.From) || !ev.TS.Before(fixedNow) {
			t.Fatalf("line %d: ts %s outside [%s, %s)", i+1, ev.TS, st.From, fixedNow)
		}
		if ev.Kind == envelope.KindRun {
			if ev.TS.Before(prevRun.Add(-10 * time.Second)) {
				t.Fatalf("line %d: run at %s starts before the previous run (%s)", i+1, ev.TS, prevRun)
			}
			prevRun = ev.TS
		}
	}
}

// Counts are as configured: exactly Events lines, Stats counts each kind
// as written, every kind is present in its expected share, and the share
// of dataset runs is DatasetShare.
func TestCountsAsConfigured(t *testing.T) {
	for _, n := range []int{1, 2, 3, 17, 20000} {
		out, st := generate(t, gen.Config{Events: n, Seed: uint64(n), Now: fixedNow})
		ls := lines(out)
		if len(ls) != n || st.Events != n || st.Bytes != int64(len(out)) {
			t.Fatalf("Events %d: wrote %d lines (stats %d events, %d bytes of %d)", n, len(ls), st.Events, st.Bytes, len(out))
		}
		got := map[envelope.Kind]int{}
		for _, ln := range ls {
			var k struct{ Kind envelope.Kind }
			json.Unmarshal(ln, &k)
			got[k.Kind]++
		}
		for _, k := range envelope.Kinds {
			if got[k] != st.Kinds[k] {
				t.Errorf("Events %d: %d %s events written, stats say %d", n, got[k], k, st.Kinds[k])
			}
		}
		if got[envelope.KindRun] != st.Runs || got[envelope.KindRun] == 0 {
			t.Errorf("Events %d: %d runs written, stats say %d", n, got[envelope.KindRun], st.Runs)
		}
	}

	// The mix of a large sample, per kind (docs/reports.md#generating-data).
	for _, share := range []float64{0.1, 0.25, 0.6} {
		out, st := generate(t, gen.Config{Events: 200000, Seed: 3, Now: fixedNow, DatasetShare: share})
		want := map[envelope.Kind][2]float64{
			envelope.KindRun: {0.09, 0.14}, envelope.KindModel: {0.2, 0.3}, envelope.KindTool: {0.16, 0.25},
			envelope.KindRetrieval: {0.08, 0.14}, envelope.KindMemory: {0.1, 0.16}, envelope.KindPolicy: {0.07, 0.12},
			envelope.KindApproval: {0.01, 0.03}, envelope.KindEval: {0.02, 0.3},
		}
		for k, band := range want {
			if s := float64(st.Kinds[k]) / float64(st.Events); s < band[0] || s > band[1] {
				t.Errorf("dataset share %v: %s is %.3f of events, want %.2f to %.2f", share, k, s, band[0], band[1])
			}
		}
		if s := float64(st.DatasetRuns) / float64(st.Runs); s < share-0.02 || s > share+0.02 {
			t.Errorf("dataset share %v: %.3f of runs executed a dataset case", share, s)
		}
		// Three evals per dataset run, and only on dataset runs.
		if st.Kinds[envelope.KindEval] < 3*st.DatasetRuns-3 || st.Kinds[envelope.KindEval] > 3*st.DatasetRuns {
			t.Errorf("dataset share %v: %d eval events for %d dataset runs", share, st.Kinds[envelope.KindEval], st.DatasetRuns)
		}
		checkVariety(t, out)
	}
}

// checkVariety asserts the traffic has what the reports break down by.
func checkVariety(t *testing.T, out []byte) {
	t.Helper()
	seen := map[string]map[string]bool{}
	see := func(field, v string) {
		if seen[field] == nil {
			seen[field] = map[string]bool{}
		}
		seen[field][v] = true
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		ev, err := envelope.Decode(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		see("tenant", ev.Tenant)
		see("environment", ev.Environment)
		see("release", ev.Release)
		see("model", ev.Model)
		see("status", ev.Status)
		see("decision", ev.Decision)
		see("authorization", ev.Authorization)
		see("result", ev.Result)
		see("access_decision", ev.AccessDecision)
		see("side_effect", ev.SideEffect)
		see("op", ev.Op)
		see("dataset", ev.Dataset)
		if ev.Freshness != nil {
			see("stale", map[bool]string{true: "stale", false: "fresh"}[ev.Freshness.Stale])
		}
		if ev.RetryCount != nil && *ev.RetryCount > 0 {
			see("retried", "yes")
		}
		if ev.Kind == envelope.KindModel && ev.CostUSD == nil {
			see("cost", "left to ingest")
		}
	}
	min := map[string]int{
		"tenant": 5, "environment": 2, "release": 6, "model": 6 + 1, "status": 2, "decision": 3 + 1,
		"authorization": 3 + 1, "result": 3 + 1, "access_decision": 2 + 1, "side_effect": 3 + 1, "op": 3 + 1,
		"dataset": 2 + 1, "stale": 2, "retried": 1, "cost": 1,
	}
	for field, n := range min {
		if len(seen[field]) < n {
			t.Errorf("%s: %d distinct values (%s), want at least %d", field, len(seen[field]), strings.Join(keys(seen[field]), ", "), n)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  gen.Config
		want string
	}{
		{gen.Config{}, "gen: events: want > 0"},
		{gen.Config{Events: 1, Since: time.Hour}, "gen: since"},
		{gen.Config{Events: 1, Tenants: 17}, "gen: tenants"},
		{gen.Config{Events: 1, Releases: -1}, "gen: releases"},
		{gen.Config{Events: 1, DatasetShare: 1.5}, "gen: dataset share"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.cfg, err, tc.want)
		}
		if _, werr := gen.Write(&bytes.Buffer{}, tc.cfg); werr == nil {
			t.Errorf("%+v: Write accepted it", tc.cfg)
		}
	}
}

// Dataset cases carry the expected policy decision of every gated task,
// and the same case id means the same case in every version.
func TestDataset(t *testing.T) {
	v1, v2 := gen.Dataset(1), gen.Dataset(2)
	if len(v1) != 40 || len(v2) != 48 {
		t.Fatalf("%d and %d cases", len(v1), len(v2))
	}
	decisions := map[string]int{}
	for i, c := range v1 {
		if v2[i] != c {
			t.Fatalf("case %s differs between versions", c.ID)
		}
		decisions[c.PolicyDecision]++
		b, _ := json.Marshal(c.Item())
		if c.PolicyDecision != "" && !strings.Contains(string(b), `"policy_decision":"`+c.PolicyDecision+`"`) {
			t.Errorf("case %s: item %s lacks its decision", c.ID, b)
		}
	}
	for _, d := range []string{"allow", "deny", "require_approval", ""} {
		if decisions[d] == 0 {
			t.Errorf("no case expects %q: %v", d, decisions)
		}
	}
}

// The mix docs/reports.md prints per million events is what a million
// events of seed 1 hold.
func TestDocumentedMix(t *testing.T) {
	doc, err := os.ReadFile("../../docs/reports.md")
	if err != nil {
		t.Fatal(err)
	}
	st, err := gen.Write(io.Discard, gen.Config{Events: 1000000, Seed: 1, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| ([a-z]+) \| ([0-9,]+) \| [0-9.]+% \|$`)
	rows := row.FindAllStringSubmatch(string(doc), -1)
	if len(rows) != len(envelope.Kinds) {
		t.Fatalf("docs/reports.md has %d rows of the mix, want %d", len(rows), len(envelope.Kinds))
	}
	for _, m := range rows {
		n, _ := strconv.Atoi(strings.ReplaceAll(m[2], ",", ""))
		if got := st.Kinds[envelope.Kind(m[1])]; got != n {
			t.Errorf("docs/reports.md: %s %d per million, the generator writes %d", m[1], n, got)
		}
	}
}
