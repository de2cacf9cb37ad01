package reports_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/internal/storetest"
	"github.com/evalhouse/evalhouse/reports"
	"github.com/evalhouse/evalhouse/schema"
)

func migrated(t *testing.T) driver.Conn {
	t.Helper()
	s := storetest.New(t)
	if _, err := schema.Migrate(context.Background(), s.Conn, schema.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	return s.Conn
}

// gtRun is one run of the fixture: the decision its case expects, the
// policy events it made (decision@version), how long ago it started.
type gtRun struct {
	expect    string // "" : the case has no policy_decision; "block": not a decision
	decisions []string
	ago       time.Duration
	traceID   string
}

// groundTruth stores dataset gt@v1 with one case per run and the runs'
// events, and returns the report options over the last day.
func groundTruth(t *testing.T, conn driver.Conn, runs []gtRun) reports.Options {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	var cases []datasets.Case
	var rows []*events.Row
	for i, r := range runs {
		id := fmt.Sprintf("c%02d", i)
		exp := map[string]any{"answer": "ok"}
		if r.expect != "" {
			exp["policy_decision"] = r.expect
		}
		cases = append(cases, datasets.Case{CaseID: id, Input: "q", Expected: exp, Tags: []string{"gt"}})
		trace := r.traceID
		if trace == "" {
			trace = "trace-" + id
		}
		ev := func(kind envelope.Kind, at time.Duration, edit func(*events.Row)) {
			row := &events.Row{Tenant: "acme", Environment: "staging", TS: now.Add(-r.ago).Add(at), Kind: kind,
				EventID: fmt.Sprintf("e%02d-%d", i, len(rows)), TraceID: trace, SpanID: fmt.Sprintf("s%d", len(rows)),
				RunID: "run-" + id, Release: "2.0", Dataset: "gt@v1", ExpiresAt: time.Unix(0, 0).UTC(), RetentionDays: 30}
			edit(row)
			rows = append(rows, row)
		}
		ev("run", 0, func(row *events.Row) { row.CaseID = id })
		for j, d := range r.decisions {
			dec, ver, _ := strings.Cut(d, "@")
			ev("policy", time.Duration(j+1)*time.Second, func(row *events.Row) { row.Decision, row.PolicyVersion = dec, ver })
		}
	}
	if _, err := datasets.New(conn).Create(ctx, "gt", cases, datasets.Provenance{By: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := events.Insert(ctx, conn, rows); err != nil {
		t.Fatal(err)
	}
	return reports.Options{Window: reports.Window{Since: now.Add(-24 * time.Hour), Until: now.Add(time.Minute)}}
}

// repeat is n runs expecting expect that decided decisions.
func repeat(n int, expect string, decisions ...string) []gtRun {
	var out []gtRun
	for range n {
		out = append(out, gtRun{expect: expect, decisions: decisions, ago: time.Hour})
	}
	return out
}

// The hand-computed expectation. Policy version pv1, expected × actual:
//
//	                  allow  require_approval  deny
//	allow               2          1            1     (2 false deny)
//	require_approval    1          1            1     (1 false allow, 1 false deny)
//	deny                2          1            3     (3 false allow)
//
// 13 cases; false_allow 4 over the 9 expecting require_approval or deny
// (0.4444); false_deny 3 over the 7 expecting allow or require_approval
// (0.4286). pv2: a run that allowed under pv1 then denied under pv2 (its
// most restrictive decision is pv2's deny) and one allow: 2 cases, no
// miss. One deny case made no policy decision: (no policy event), a false
// allow, rate 1. Not scored: a case expecting "block", a case with no
// policy_decision, a run two days old.
var gtFixture = slices.Concat(
	repeat(2, "allow", "allow@pv1"), repeat(1, "allow", "allow@pv1", "require_approval@pv1"), repeat(1, "allow", "deny@pv1"),
	repeat(1, "require_approval", "allow@pv1"), repeat(1, "require_approval", "require_approval@pv1"), repeat(1, "require_approval", "deny@pv1"),
	repeat(2, "deny", "allow@pv1"), repeat(1, "deny", "require_approval@pv1", "allow@pv1"), repeat(3, "deny", "deny@pv1"),
	repeat(1, "deny", "allow@pv1", "deny@pv2"), repeat(1, "allow", "allow@pv2"),
	repeat(1, "deny"),
	repeat(1, "block", "allow@pv1"), repeat(1, "", "allow@pv1"),
	[]gtRun{{expect: "deny", decisions: []string{"allow@pv1"}, ago: 48 * time.Hour}},
)

func TestPolicyGroundTruthMatchesHandCount(t *testing.T) {
	conn := migrated(t)
	o := groundTruth(t, conn, gtFixture)
	r, err := reports.Build(context.Background(), conn, "policy", o)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		version              string
		counts               [3][3]int
		cases, fa, fd        int
		faRate, fdRate       string
		falseAllowRuns, fdRs []string
	}
	wants := []want{
		{reports.NoPolicyEvent, [3][3]int{{0, 0, 0}, {0, 0, 0}, {1, 0, 0}}, 1, 1, 0, "1.0000", "0.0000", []string{"run-c15"}, nil},
		{"pv1", [3][3]int{{2, 1, 1}, {1, 1, 1}, {2, 1, 3}}, 13, 4, 3, "0.4444", "0.4286",
			[]string{"run-c04", "run-c07", "run-c08", "run-c09"}, []string{"run-c02", "run-c03", "run-c06"}},
		{"pv2", [3][3]int{{1, 0, 0}, {0, 0, 0}, {0, 0, 1}}, 2, 0, 0, "0.0000", "0.0000", nil, nil},
	}
	if len(r.Matrices) != len(wants) {
		t.Fatalf("%d matrices, want %d: %+v", len(r.Matrices), len(wants), r.Matrices)
	}
	for i, w := range wants {
		m := r.Matrices[i]
		if m.PolicyVersion != w.version || m.Counts != w.counts || m.Cases != w.cases || m.FalseAllow != w.fa || m.FalseDeny != w.fd ||
			fmt.Sprintf("%.4f", m.FalseAllowRate) != w.faRate || fmt.Sprintf("%.4f", m.FalseDenyRate) != w.fdRate {
			t.Errorf("matrix %d = %+v, want %+v", i, m, w)
		}
		var fa, fd []string
		for _, x := range m.Misses {
			if x.Kind == "false_allow" {
				fa = append(fa, x.RunID)
			} else {
				fd = append(fd, x.RunID)
			}
			if !strings.Contains(x.Promote, "incident open --trace trace-"+strings.TrimPrefix(x.RunID, "run-")) ||
				!strings.Contains(x.Promote, "--dataset gt --expect '{\"policy_decision\":\""+x.Expected+"\"}'") {
				t.Errorf("%s: promote = %s", x.RunID, x.Promote)
			}
		}
		if !slices.Equal(fa, w.falseAllowRuns) || !slices.Equal(fd, w.fdRs) {
			t.Errorf("%s misses: false allow %v, false deny %v; want %v, %v", w.version, fa, fd, w.falseAllowRuns, w.fdRs)
		}
	}
	if !slices.ContainsFunc(r.Notes, func(n string) bool {
		return strings.HasPrefix(n, "1 run(s) of cases expecting a policy decision made none")
	}) ||
		!slices.ContainsFunc(r.Notes, func(n string) bool {
			return strings.HasPrefix(n, "1 run(s) of cases whose expected.policy_decision is not")
		}) {
		t.Errorf("notes = %q", r.Notes)
	}
	formatsAgree(t, r)
}

// formatsAgree checks that every format shows each matrix's figures.
func formatsAgree(t *testing.T, r *reports.Report) {
	t.Helper()
	out := map[string]string{}
	for _, f := range reports.Formats {
		var b bytes.Buffer
		if err := reports.Write(&b, r, f); err != nil {
			t.Fatal(err)
		}
		out[f] = b.String()
	}
	var back struct {
		Matrices []map[string]any `json:"matrices"`
	}
	if err := json.Unmarshal([]byte(out["json"]), &back); err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(strings.NewReader(out["csv"]))
	cr.FieldsPerRecord = -1 // one block a table, each its own width
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range r.Matrices {
		fa, fd := fmt.Sprintf("%.4f", m.FalseAllowRate), fmt.Sprintf("%.4f", m.FalseDenyRate)
		j := back.Matrices[i]
		if j["policy_version"] != m.PolicyVersion || j["false_allow"] != float64(m.FalseAllow) || j["false_deny"] != float64(m.FalseDeny) ||
			fmt.Sprintf("%.4f", j["false_allow_rate"]) != fa || fmt.Sprintf("%.4f", j["false_deny_rate"]) != fd {
			t.Errorf("json matrix %d = %v", i, j)
		}
		csvRow := []string{m.PolicyVersion, fmt.Sprint(m.FalseAllow), fmt.Sprint(m.FalseDeny), fa, fd}
		if !slices.ContainsFunc(recs, func(rec []string) bool { return slices.Equal(rec, csvRow) }) {
			t.Errorf("csv has no row %v", csvRow)
		}
		for e, d := range reports.Decisions {
			cells := []string{d}
			for a := range reports.Decisions {
				cells = append(cells, fmt.Sprint(m.Counts[e][a]))
				if !slices.ContainsFunc(recs, func(rec []string) bool {
					return slices.Equal(rec, []string{m.PolicyVersion, d, reports.Decisions[a], fmt.Sprint(m.Counts[e][a])})
				}) {
					t.Errorf("csv lacks %s %s→%s = %d", m.PolicyVersion, d, reports.Decisions[a], m.Counts[e][a])
				}
			}
			if !strings.Contains(out["markdown"], "| "+strings.Join(cells, " | ")+" |") {
				t.Errorf("markdown lacks row %v of %s", cells, m.PolicyVersion)
			}
			if !strings.Contains(strings.Join(strings.Fields(out["table"]), " "), strings.Join(cells, " ")) {
				t.Errorf("table lacks row %v of %s", cells, m.PolicyVersion)
			}
		}
		title := fmt.Sprintf("false_allow %d (rate %s), false_deny %d (rate %s)", m.FalseAllow, fa, m.FalseDeny, fd)
		for _, f := range []string{"table", "markdown"} {
			if !strings.Contains(out[f], m.PolicyVersion) || !strings.Contains(out[f], title) {
				t.Errorf("%s lacks %s: %s", f, m.PolicyVersion, title)
			}
		}
		for _, x := range m.Misses {
			for _, f := range []string{"table", "markdown", "csv", "json"} {
				if !strings.Contains(out[f], x.RunID) {
					t.Errorf("%s does not name miss %s", f, x.RunID)
				}
			}
		}
	}
}

// A trace id is data an agent sends: the promote command quotes it, so
// pasting the command into a shell runs evalhouse with it as one word and
// nothing else.
func TestPromoteCommandQuotesHostileIDs(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	conn := migrated(t)
	hostile := "t'; touch /tmp/pwned; echo '$(id)`x`\nnext"
	o := groundTruth(t, conn, []gtRun{{expect: "deny", decisions: []string{"allow@pv1"}, ago: time.Hour, traceID: hostile}})
	r, err := reports.Build(context.Background(), conn, "policy", o)
	if err != nil || len(r.Matrices) != 1 || len(r.Matrices[0].Misses) != 1 {
		t.Fatalf("%+v, %v", r, err)
	}
	cmd := r.Matrices[0].Misses[0].Promote
	out, err := exec.Command(sh, "-c", `evalhouse() { for a in "$@"; do printf '[%s]' "$a"; done; echo; }; `+cmd).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "[incident][open][--trace][" + hostile + "][--title][false allow: gt@v1/c00][--severity][sev2]\n" +
		`[incident][promote][INC][--dataset][gt][--expect][{"policy_decision":"deny"}]` + "\n"
	if string(out) != want {
		t.Errorf("the shell ran\n%s\nwant\n%s", out, want)
	}
	var md bytes.Buffer
	reports.WriteMarkdown(&md, r)
	for _, line := range strings.Split(md.String(), "\n") {
		if strings.HasPrefix(line, "next") {
			t.Errorf("markdown: the trace id broke the list item: %q", line)
		}
	}
}

// A matrix lists its first MaxMisses misses in run order and counts the
// rest; the raw-row path (--exact) counts as run_summaries does.
func TestPolicyGroundTruthCapsMisses(t *testing.T) {
	conn := migrated(t)
	runs := slices.Concat(repeat(reports.MaxMisses+3, "deny", "allow@pv9"), repeat(2, "allow", "allow@pv9"))
	o := groundTruth(t, conn, runs)
	for _, exact := range []bool{false, true} {
		o.Exact = exact
		r, err := reports.Build(context.Background(), conn, "policy", o)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Matrices) != 1 {
			t.Fatalf("exact %v: %d matrices, want 1", exact, len(r.Matrices))
		}
		m := r.Matrices[0]
		if m.FalseAllow != reports.MaxMisses+3 || m.Cases != reports.MaxMisses+5 || len(m.Misses) != reports.MaxMisses || m.MissesOmitted != 3 {
			t.Fatalf("exact %v: false allow %d of %d cases, %d misses listed, %d omitted; want %d of %d, %d, 3",
				exact, m.FalseAllow, m.Cases, len(m.Misses), m.MissesOmitted, reports.MaxMisses+3, reports.MaxMisses+5, reports.MaxMisses)
		}
		var ids []string
		for _, x := range m.Misses {
			ids = append(ids, x.RunID)
		}
		if !slices.IsSorted(ids) || ids[0] != "run-c00" {
			t.Errorf("exact %v: misses not the first in run order: %v", exact, ids[:5])
		}
	}
}
