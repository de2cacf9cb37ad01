package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Decisions are the policy decisions, least restrictive first: a run's
// decision is its most restrictive policy event's.
var Decisions = []string{"allow", "require_approval", "deny"}

// Matrix is the policy report's confusion matrix for one policy version:
// the decision each dataset case expected (expected.policy_decision)
// against the one its run made. A false allow is a run less restrictive
// than its case expected (allow where require_approval or deny was
// expected, require_approval where deny was); a false deny, more
// restrictive. Rates are over the cases that could have been wrong that
// way: false_allow_rate over cases expecting require_approval or deny,
// false_deny_rate over cases expecting allow or require_approval.
type Matrix struct {
	PolicyVersion string `json:"policy_version"`
	// Counts[expected][actual], both indexes into Decisions.
	Counts         [3][3]int `json:"counts"`
	Cases          int       `json:"cases"`
	FalseAllow     int       `json:"false_allow"`
	FalseDeny      int       `json:"false_deny"`
	FalseAllowRate float64   `json:"false_allow_rate"`
	FalseDenyRate  float64   `json:"false_deny_rate"`
	// Misses are the runs behind FalseAllow and FalseDeny, the first
	// MaxMisses of them; MissesOmitted counts the rest.
	Misses        []Miss `json:"misses,omitempty"`
	MissesOmitted int    `json:"misses_omitted,omitempty"`
}

// Miss is one wrong decision: the run, its case, and the command that
// makes it a fixture (Promote: `incident open --trace`, then `incident
// promote` with the id it prints in place of INC).
type Miss struct {
	Kind     string `json:"kind"` // "false_allow" or "false_deny"
	RunID    string `json:"run_id"`
	TraceID  string `json:"trace_id"`
	Dataset  string `json:"dataset"`
	CaseID   string `json:"case_id"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	Promote  string `json:"promote"`
}

// Add counts one case: expected and actual are Decisions. It returns the
// kind of miss ("false_allow", "false_deny") or "".
func (m *Matrix) Add(expected, actual string) (kind string) { return m.AddN(expected, actual, 1) }

// AddN counts n cases alike.
func (m *Matrix) AddN(expected, actual string, n int) (kind string) {
	e, a := decisionIndex(expected), decisionIndex(actual)
	if e < 0 || a < 0 {
		return ""
	}
	m.Counts[e][a] += n
	m.Cases += n
	switch kind = missKind(expected, actual); kind {
	case "false_allow":
		m.FalseAllow += n
	case "false_deny":
		m.FalseDeny += n
	}
	m.rates()
	return kind
}

// missKind is "false_allow" when actual is less restrictive than
// expected, "false_deny" when more, else "".
func missKind(expected, actual string) string {
	switch e, a := decisionIndex(expected), decisionIndex(actual); {
	case e < 0 || a < 0 || a == e:
		return ""
	case a < e:
		return "false_allow"
	default:
		return "false_deny"
	}
}

// rates sets the rates from Counts and the false counts.
func (m *Matrix) rates() {
	var couldAllow, couldDeny int
	for e := range 3 {
		for a := range 3 {
			if e > 0 {
				couldAllow += m.Counts[e][a]
			}
			if e < 2 {
				couldDeny += m.Counts[e][a]
			}
		}
	}
	m.FalseAllowRate, m.FalseDenyRate = ratio(m.FalseAllow, couldAllow), ratio(m.FalseDeny, couldDeny)
}

// Total is the matrices summed: every version's cases in one (misses are
// not copied).
func Total(ms []*Matrix) *Matrix {
	t := &Matrix{PolicyVersion: "(all)"}
	for _, m := range ms {
		for e := range 3 {
			for a := range 3 {
				t.Counts[e][a] += m.Counts[e][a]
			}
		}
		t.Cases += m.Cases
		t.FalseAllow += m.FalseAllow
		t.FalseDeny += m.FalseDeny
	}
	t.rates()
	return t
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

func decisionIndex(d string) int {
	for i, x := range Decisions {
		if x == d {
			return i
		}
	}
	return -1
}

func (m *Matrix) title() string {
	return fmt.Sprintf("Policy decisions against expected, %s (%d cases): false_allow %d (rate %s), false_deny %d (rate %s)",
		m.PolicyVersion, m.Cases, m.FalseAllow, strconv.FormatFloat(m.FalseAllowRate, 'f', 4, 64), m.FalseDeny, strconv.FormatFloat(m.FalseDenyRate, 'f', 4, 64))
}

// grid is the matrix as rows of cells, a header first.
func (m *Matrix) grid() [][]string {
	g := [][]string{append([]string{"expected \\ actual"}, Decisions...)}
	for e, d := range Decisions {
		row := []string{d}
		for a := range Decisions {
			row = append(row, strconv.Itoa(m.Counts[e][a]))
		}
		g = append(g, row)
	}
	return g
}

func (m *Matrix) writeText(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n", m.title())
	for _, row := range m.grid() {
		fmt.Fprintln(w, strings.Join(row, "\t"))
	}
	for _, x := range m.Misses {
		fmt.Fprintf(w, "%s\trun %s\tcase %s/%s\texpected %s, got %s\t%s\n", x.Kind, x.RunID, x.Dataset, x.CaseID, x.Expected, x.Actual, x.Promote)
	}
	if m.MissesOmitted > 0 {
		fmt.Fprintf(w, "(%d more not listed)\n", m.MissesOmitted)
	}
}

func (m *Matrix) writeCSV(cw *csv.Writer) {
	cw.Write([]string{"policy_version", "expected", "actual", "count"})
	for e, ed := range Decisions {
		for a, ad := range Decisions {
			cw.Write([]string{m.PolicyVersion, ed, ad, strconv.Itoa(m.Counts[e][a])})
		}
	}
	cw.Write([]string{"policy_version", "false_allow", "false_deny", "false_allow_rate", "false_deny_rate"})
	cw.Write([]string{m.PolicyVersion, strconv.Itoa(m.FalseAllow), strconv.Itoa(m.FalseDeny),
		strconv.FormatFloat(m.FalseAllowRate, 'f', 4, 64), strconv.FormatFloat(m.FalseDenyRate, 'f', 4, 64)})
	if len(m.Misses) > 0 {
		cw.Write([]string{"policy_version", "kind", "run_id", "trace_id", "dataset", "case_id", "expected", "actual", "promote"})
	}
	for _, x := range m.Misses {
		cw.Write([]string{m.PolicyVersion, x.Kind, x.RunID, x.TraceID, x.Dataset, x.CaseID, x.Expected, x.Actual, x.Promote})
	}
}

func (m *Matrix) writeMarkdown(b *strings.Builder) {
	fmt.Fprintf(b, "\n## %s\n\n", m.title())
	for i, row := range m.grid() {
		fmt.Fprintf(b, "| %s |\n", strings.Join(row, " | "))
		if i == 0 {
			fmt.Fprintf(b, "|%s\n", strings.Repeat("---|", len(row)))
		}
	}
	if len(m.Misses) > 0 {
		b.WriteString("\n")
	}
	for _, x := range m.Misses {
		fmt.Fprintf(b, "- %s: run %s, case %s, expected %s, got %s: %s\n", x.Kind, mdCode(x.RunID), mdCode(x.Dataset+"/"+x.CaseID), x.Expected, x.Actual, mdCode(x.Promote))
	}
	if m.MissesOmitted > 0 {
		fmt.Fprintf(b, "- (%d more not listed)\n", m.MissesOmitted)
	}
}

// mdCode is s as one Markdown code span on one line: control characters
// become spaces and the fence outgrows any backticks in s, so data cannot
// end the span or the list item.
func mdCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if len(fence) > 1 || strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}
