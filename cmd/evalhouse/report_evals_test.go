package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// reportJSON is `evalhouse report … --format json` as a reader decodes it.
type reportJSON struct {
	Tables []struct {
		Title   string   `json:"title"`
		Dims    []string `json:"dimensions"`
		Metrics []struct {
			Name string `json:"name"`
		} `json:"metrics"`
		Rows []struct {
			Dims   []string  `json:"dims"`
			Values []float64 `json:"values"`
		} `json:"rows"`
		Flags map[string][]string `json:"flags"`
	} `json:"tables"`
	Notes []string `json:"notes"`
}

// value is the metric of the row of the table titled (a prefix) whose
// dimensions start with dims; ok false when there is none.
func (r reportJSON) value(t *testing.T, title, metric string, dims ...string) (float64, bool) {
	t.Helper()
	for _, tb := range r.Tables {
		if !strings.HasPrefix(tb.Title, title) {
			continue
		}
		j := slices.IndexFunc(tb.Metrics, func(m struct {
			Name string `json:"name"`
		}) bool {
			return m.Name == metric
		})
		if j < 0 {
			t.Fatalf("table %q has no metric %s", tb.Title, metric)
		}
		for _, row := range tb.Rows {
			if len(row.Dims) >= len(dims) && slices.Equal(row.Dims[:len(dims)], dims) {
				return row.Values[j], true
			}
		}
		return 0, false
	}
	t.Fatalf("no table %q", title)
	return 0, false
}

// rows lists the dimension tuples of the table titled (a prefix), joined by "/".
func (r reportJSON) rows(title string) []string {
	var out []string
	for _, tb := range r.Tables {
		if strings.HasPrefix(tb.Title, title) {
			for _, row := range tb.Rows {
				out = append(out, strings.Join(row.Dims, "/"))
			}
		}
	}
	return out
}

// TestEvalsAndDiffReports runs the release loop of the example (`make
// demo`), then a release 2.4.2 whose run of the incident fixture pastes
// the reset link again, and reads the evals and diff reports. The figures
// are counted by hand from the example's README (what the releases
// score, the expected counts) and examples/gate.yaml.
func TestEvalsAndDiffReports(t *testing.T) {
	store, _ := storeFlag(t)
	ex := exampleRoot
	must := func(want int, args ...string) string {
		t.Helper()
		out, code := run(t, nil, append([]string{store}, args...)...)
		if code != want {
			t.Fatalf("evalhouse %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	gateArgs := func(release string) []string {
		return []string{"gate", "--config", ex + "/gate.yaml", "--release", release, "--commit", "c0ffee"}
	}
	must(0, "dataset", "create", "support-bot", "--from", ex+"/datasets/support-bot-v1.jsonl")
	for _, r := range []string{"2.3.1", "2.4.0"} {
		must(0, "ingest", filepath.Join(ex, "support-agent", "events-"+r+".ndjson"))
		must(0, "eval", "--dataset", "support-bot@v1", "--release", r, "--rules", ex+"/rules")
	}
	must(0, gateArgs("2.3.1")...)
	must(1, gateArgs("2.4.0")...)
	trace := strings.TrimSpace(lastLine(must(0, "sql", "--format", "tsv", "SELECT trace_id FROM agent_events WHERE run_id = 'run-2.4.0-p04' AND kind = 'run'")))
	must(0, "incident", "open", "--trace", trace, "--title", "reset token pasted into chat", "--severity", "sev2", "--owner", "support-oncall")
	must(0, "incident", "promote", "INC-1", "--dataset", "support-bot", "--expect", `{"answer":"sent a password reset link","must_not_contain":"reset?t="}`)
	must(2, gateArgs("2.4.1")...) // hold: no runs on v2 yet
	must(0, "ingest", filepath.Join(ex, "support-agent", "events-2.4.1.ndjson"))
	must(0, "eval", "--dataset", "support-bot@v2", "--release", "2.4.1", "--rules", ex+"/rules")
	must(0, gateArgs("2.4.1")...)

	// 2.4.2 runs only the fixture, and regresses: the reply pastes a link again.
	must(0, "ingest", regressedFixtureRun(t, filepath.Join(ex, "support-agent", "events-2.4.1.ndjson")))
	must(0, "eval", "--dataset", "support-bot@v2", "--release", "2.4.2", "--rules", ex+"/rules")

	var evals reportJSON
	if err := json.Unmarshal([]byte(must(0, "report", "evals", "--gate", ex+"/gate.yaml", "--format", "json")), &evals); err != nil {
		t.Fatal(err)
	}
	const rates = "Pass rate by rule and dataset version"
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	for _, c := range []struct {
		rule, dataset, release, verdict, check string
		passed, total                          int
		threshold                              float64
	}{
		// The README's table: 2.3.1 23/24 (c016), 2.4.0 20/24; gate.yaml's min_pass_rate 0.9.
		{"task_success", "support-bot@v1", "2.3.1", "pass", "min_pass_rate 0.9", 23, 24, 0.9},
		{"task_success", "support-bot@v1", "2.4.0", "fail", "min_pass_rate 0.9", 20, 24, 0.9},
		{"task_success", "support-bot@v2", "2.4.1", "pass", "min_pass_rate 0.9", 25, 25, 0.9},
		{"task_success", "support-bot@v2", "2.4.2", "none", "min_pass_rate 0.9", 0, 1, 0.9},
		// Three runs without an idempotency key; max_failures 0 is a pass rate of 1.
		{"idempotency", "support-bot@v1", "2.4.0", "fail", "max_failures 0", 21, 24, 1},
		// 2.4.0 serves 11 stale retrievals over 8 cases; min_pass_rate 0.95.
		{"fresh_retrieval", "support-bot@v1", "2.4.0", "fail", "min_pass_rate 0.95", 16, 24, 0.95},
		// No check in gate.yaml: no threshold.
		{"helpfulness", "support-bot@v1", "2.4.0", "fail", "none", 20, 24, 0},
	} {
		var rv string
		for _, row := range evals.rows(rates) {
			if strings.HasPrefix(row, c.rule+"/") && strings.Contains(row, "/"+c.dataset+"/"+c.release+"/") {
				rv = strings.Split(row, "/")[1]
			}
		}
		dims := []string{c.rule, rv, c.dataset, c.release, c.verdict, c.check}
		pr, ok := evals.value(t, rates, "pass_rate", dims...)
		if !ok {
			t.Errorf("no row %v in %q", dims, evals.rows(rates))
			continue
		}
		want := float64(c.passed) / float64(c.total)
		near(c.rule+" "+c.release+" pass_rate", pr, want)
		th, _ := evals.value(t, rates, "threshold", dims...)
		near(c.rule+" "+c.release+" threshold", th, c.threshold)
		m, _ := evals.value(t, rates, "margin", dims...)
		if c.check == "none" {
			want = 0
		} else {
			want -= c.threshold
		}
		near(c.rule+" "+c.release+" margin", m, want)
		n, _ := evals.value(t, rates, "cases", dims...)
		near(c.rule+" "+c.release+" cases", n, float64(c.total))
	}
	// Releases in the order they ran, per dataset version.
	var order []string
	for _, row := range evals.rows(rates) {
		if d := strings.Split(row, "/"); d[0] == "task_success" {
			order = append(order, d[2]+" "+d[3])
		}
	}
	if want := []string{"support-bot@v1 2.3.1", "support-bot@v1 2.4.0", "support-bot@v2 2.4.1", "support-bot@v2 2.4.2"}; !slices.Equal(order, want) {
		t.Errorf("task_success rows: %q, want %q", order, want)
	}
	// Each release's latest decision: 2.4.1 held, then passed; 2.4.2 was never gated.
	if got, want := evals.rows("Gate decisions"), []string{
		"2.3.1/support-bot@v1/pass", "2.4.0/support-bot@v1/fail", "2.4.1/support-bot@v2/pass", "2.4.2/support-bot@v2/none",
	}; len(got) != len(want) || !slices.EqualFunc(got, want, strings.HasPrefix) {
		t.Errorf("gate decisions: %q, want %q…", got, want)
	}
	// The heatmap: c016 times out in 2.3.1 and 2.4.0, not in 2.4.1.
	for _, c := range []struct {
		cs, release string
		passed      float64
	}{{"c016", "2.3.1", 0}, {"c016", "2.4.0", 0}, {"c016", "2.4.1", 1}, {"c017", "2.4.0", 0}, {"c001", "2.4.0", 1},
		{"incident-run-2-4-0-p04", "2.4.1", 1}, {"incident-run-2-4-0-p04", "2.4.2", 0}} {
		if v, ok := evals.value(t, "Cases by release", "passed", "support-bot", c.cs, c.release); !ok || v != c.passed {
			t.Errorf("case %s in %s: passed %v (found %v), want %v", c.cs, c.release, v, ok, c.passed)
		}
	}
	// The cost report's cost per passing case counts the same passing
	// cases (every scored rule passed) per release.
	var cost reportJSON
	if err := json.Unmarshal([]byte(must(0, "report", "cost", "--format", "json")), &cost); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"2.3.1", "2.4.0"} {
		passing := 0.0
		for _, tb := range evals.Tables {
			if strings.HasPrefix(tb.Title, "Cases by release") {
				for _, row := range tb.Rows {
					if row.Dims[2] == rel && row.Values[0] == 1 {
						passing++
					}
				}
			}
		}
		got, ok := cost.value(t, "Cost per passing case", "passing_cases", "support-bot@v1", rel)
		runCost, _ := cost.value(t, "Cost per passing case", "cost_usd", "support-bot@v1", rel)
		per, _ := cost.value(t, "Cost per passing case", "cost_per_passing_case", "support-bot@v1", rel)
		if !ok || got != passing || passing == 0 || math.Abs(per-runCost/passing) > 1e-9 {
			t.Errorf("release %s: %v passing cases (cost per case %v of %v), the evals report counts %v", rel, got, per, runCost, passing)
		}
	}
	if n := len(evals.rows("Cases by release")); n != 24+24+25+1 {
		t.Errorf("%d case × release cells, want %d", n, 24+24+25+1)
	}
	// The fixture passed in 2.4.1 and escaped in 2.4.2.
	fixtures := evals.rows("Incident fixtures")
	if len(fixtures) != 2 || fixtures[0] != "support-bot/incident-run-2-4-0-p04/INC-1/support-bot@v2/2.4.1/no/" ||
		!strings.HasPrefix(fixtures[1], "support-bot/incident-run-2-4-0-p04/INC-1/support-bot@v2/2.4.2/yes/") ||
		!strings.Contains(fixtures[1], "task_success") {
		t.Errorf("fixtures: %q", fixtures)
	}
	if !slices.ContainsFunc(evals.Notes, func(n string) bool {
		return strings.Contains(n, "regression escape: fixture support-bot/incident-run-2-4-0-p04 (incident INC-1)") && strings.Contains(n, "2.4.2")
	}) {
		t.Errorf("notes name no regression escape: %q", evals.Notes)
	}

	// Every format draws the same figures: 2.4.0's task_success row.
	row := regexp.MustCompile(`task_success\W+\w+\W+support-bot@v1\W+2\.4\.0\W+fail\W+min_pass_rate 0\.9\W+0\.8333\W+0\.9000\W+-0\.0667\W+24`)
	for _, format := range []string{"table", "csv", "markdown"} {
		if out := must(0, "report", "evals", "--gate", ex+"/gate.yaml", "--format", format); !row.MatchString(out) {
			t.Errorf("--format %s lacks the 2.4.0 task_success row:\n%s", format, out)
		}
	}

	// The diff: 2.4.0 against 2.3.1.
	var diff reportJSON
	if err := json.Unmarshal([]byte(must(0, "report", "diff", "--release", "2.4.0", "--against", "2.3.1", "--format", "json")), &diff); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		table, metric string
		a, b          float64
	}{
		{"Counts", "model_calls", 60, 57}, {"Counts", "runs", 28, 28}, {"Counts", "stale_hits", 11, 0},
		{"Counts", "denials", 2, 0}, {"Counts", "violations", 4, 0},
		{"Tokens", "input_tokens", 161849, 112460}, {"Cost (USD)", "cost_usd", 0.3887, 0.2708},
	} {
		var a, b, d, pct float64
		var found bool
		for _, tb := range diff.Tables {
			if !strings.HasPrefix(tb.Title, c.table+": 2.4.0 (a) against 2.3.1 (b)") {
				continue
			}
			for _, row := range tb.Rows {
				if row.Dims[2] == c.metric {
					a, b, d, pct, found = row.Values[0], row.Values[1], row.Values[2], row.Values[3], true
				}
			}
		}
		if !found {
			t.Errorf("diff has no %s row %s", c.table, c.metric)
			continue
		}
		if math.Abs(a-c.a) > 5e-5 || math.Abs(b-c.b) > 5e-5 || math.Abs(d-(a-b)) > 1e-9 || c.b != 0 && math.Abs(pct-(a-b)/b) > 1e-9 || c.b == 0 && pct != 0 {
			t.Errorf("diff %s: a %v b %v delta %v delta_pct %v, want a %v b %v", c.metric, a, b, d, pct, c.a, c.b)
		}
	}
	// 2.4.0 fails 24 (case, rule) pairs, 2 of them (c016) failing in 2.3.1 too.
	flips := diff.rows("Cases that flipped")
	if len(flips) != 22 {
		t.Errorf("%d flips, want 22: %q", len(flips), flips)
	}
	for _, want := range []string{"support-bot/c008/task_success/pass → fail/run-2.4.0-c008/run-2.3.1-c008",
		"support-bot/c017/no_unapproved_side_effects/pass → fail/run-2.4.0-c017/run-2.3.1-c017"} {
		if !slices.Contains(flips, want) {
			t.Errorf("flips lack %q", want)
		}
	}
	if slices.ContainsFunc(flips, func(f string) bool { return strings.Contains(f, "/c016/") }) {
		t.Errorf("c016 fails in both releases, yet flips: %q", flips)
	}
	// The fix the other way round: 2.4.1 against 2.4.0 flips c016's task_success to pass.
	out := must(0, "report", "diff", "--release", "2.4.1", "--against", "2.4.0", "--format", "csv")
	if !strings.Contains(out, "support-bot,c016,task_success,fail → pass,run-2.4.1-c016,run-2.4.0-c016,1,0") {
		t.Errorf("2.4.1 against 2.4.0 (csv) lacks c016's fix:\n%s", out)
	}

	// Refusals name their flag.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "diff", "--release", "2.4.0"}, "--against: required"},
		{[]string{"report", "diff", "--against", "2.3.1"}, "--release: "},
		{[]string{"report", "diff", "--release", "2.4.0", "--release", "2.4.1", "--against", "2.3.1"}, "--release: "},
		{[]string{"report", "diff", "--release", "2.4.0", "--against", "2.4.0"}, "--against 2.4.0: the same release"},
		{[]string{"report", "diff", "--release", "2.4.0", "--against", "2.3.1", "--by", "model"}, "--by: "},
		{[]string{"report", "evals", "--gate", filepath.Join(t.TempDir(), "none.yaml")}, "--gate "},
		{[]string{"report", "evals", "--model", "gpt-4o"}, "--model: "},
	} {
		if out := must(2, c.args...); !strings.Contains(out, c.want) {
			t.Errorf("%v: %q lacks %q", c.args, out, c.want)
		}
	}
}

// regressedFixtureRun writes, next to the 2.4.1 events file, the events of
// release 2.4.2's run of the incident fixture: 2.4.1's run, renamed, with
// new trace and event ids, whose reply pastes a reset link instead of
// saying it was sent.
func regressedFixtureRun(t *testing.T, events241 string) string {
	t.Helper()
	b, err := os.ReadFile(events241)
	if err != nil {
		t.Fatal(err)
	}
	const run = "run-2.4.1-incident-run-2-4-0-p04"
	eventID := regexp.MustCompile(`"event_id":"[^"]*",`)
	traceID := regexp.MustCompile(`"trace_id":"([0-9a-f]{32})"`)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, `"run_id":"`+run+`"`) {
			continue
		}
		line = eventID.ReplaceAllString(line, "") // ingest derives new ones
		line = traceID.ReplaceAllString(line, `"trace_id":"242000000000000000000000000000aa"`)
		line = strings.ReplaceAll(line, "2.4.1", "2.4.2")
		line = strings.ReplaceAll(line, "I've sent a password reset link to the email address on your account.", "Here is your reset link: https://example.com/reset")
		out = append(out, line)
	}
	if len(out) < 2 {
		t.Fatalf("%s holds no run %s", events241, run)
	}
	p := filepath.Join(t.TempDir(), "events-2.4.2.ndjson")
	if err := os.WriteFile(p, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
