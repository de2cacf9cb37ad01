package gate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/evalhouse/evalhouse/internal/junit"
)

// WriteJSON writes the decision as indented JSON.
func (d *Decision) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

var verdictMark = map[Verdict]string{Pass: "✅ PASS", Fail: "❌ FAIL", Hold: "⏸ HOLD", VerdictError: "⚠ ERROR"}

// WriteText writes the terminal summary.
func (d *Decision) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "gate %s: release %s on %s (exit %d)\n", strings.ToUpper(string(d.Verdict)), d.Release, d.Dataset, d.ExitCode)
	if d.Owner != "" || d.Commit != "" {
		fmt.Fprintf(&b, "  owner %s, commit %s\n", orDash(d.Owner), orDash(d.Commit))
	}
	for _, r := range d.Reasons {
		fmt.Fprintf(&b, "  - %s\n", r)
	}
	if !d.Stored {
		fmt.Fprintf(&b, "  decision NOT stored in gate_decisions: %s\n", d.storeProblem())
	}
	if len(d.Checks) > 0 {
		b.WriteString("  checks:\n")
	}
	for _, c := range d.Checks {
		block := ""
		if !c.Blocking {
			block = " (non-blocking)"
		}
		fmt.Fprintf(&b, "    %-5s %s%s: %s\n", c.Status, c.Name, block, c.Message)
		for _, wc := range c.WorstCases {
			fmt.Fprintf(&b, "          case %s  trace %s  %s\n", wc.CaseID, wc.TraceID, wc.Why)
		}
	}
	if d.evaluated() {
		fmt.Fprintf(&b, "  cases: %d of %d scored", d.Cases.Scored, d.Cases.Expected)
		if d.Cases.MissingCount > 0 {
			fmt.Fprintf(&b, ", %d missing", d.Cases.MissingCount)
		}
		fmt.Fprintf(&b, "\n  trace contract: %s", d.Contract.Result)
		if d.Contract.Violations > 0 {
			fmt.Fprintf(&b, " (%s)", d.Contract.describe())
		}
		b.WriteString("\n")
	}
	if d.Baseline != nil {
		fmt.Fprintf(&b, "  baseline %s: %s\n", d.Baseline.Release, d.Baseline.Status)
		for _, x := range d.Baseline.Deltas {
			fmt.Fprintf(&b, "    %s %.3f → %.3f (%+.3f)\n", x.Rule, x.Baseline, x.Current, x.Change)
		}
	}
	for _, f := range d.FixturesAdded {
		fmt.Fprintf(&b, "  new fixture %s from incident %s (trace %s, v%d)\n", f.CaseID, f.Incident, f.TraceID, f.AddedIn)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the evidence for a pull-request comment or
// $GITHUB_STEP_SUMMARY.
func (d *Decision) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Release gate: %s — `%s` on `%s`\n\n", verdictMark[d.Verdict], md(d.Release), md(d.Dataset))
	fmt.Fprintf(&b, "| | |\n|---|---|\n| verdict | **%s** (exit %d) |\n| release owner | %s |\n| commit | `%s` |\n| dataset | `%s` (hash `%.12s`) |\n| decided | %s |\n",
		d.Verdict, d.ExitCode, md(orDash(d.Owner)), md(orDash(d.Commit)), md(d.Dataset), d.DatasetHash, d.DecidedAt.Format("2006-01-02 15:04:05Z"))
	if d.Stored {
		b.WriteString("| stored | yes, in gate_decisions |\n")
	} else {
		fmt.Fprintf(&b, "| stored | **no**: %s |\n", md(d.storeProblem()))
	}
	if d.evaluated() {
		fmt.Fprintf(&b, "| cases scored | %d of %d |\n| trace contract | %s |\n", d.Cases.Scored, d.Cases.Expected, d.Contract.Result)
	}
	if len(d.Reasons) > 0 {
		b.WriteString("\n### Why\n\n")
		for _, r := range d.Reasons {
			fmt.Fprintf(&b, "- %s\n", md(r))
		}
	}
	if len(d.Checks) > 0 {
		b.WriteString("\n### Checks\n\n| status | check | blocking | observed | threshold | detail |\n|---|---|---|---|---|---|\n")
		for _, c := range d.Checks {
			fmt.Fprintf(&b, "| %s | %s | %v | %.4g | %.4g | %s |\n", c.Status, md(c.Name), c.Blocking, c.Observed, c.Threshold, md(c.Message))
		}
		for _, c := range d.Checks {
			if len(c.WorstCases) == 0 {
				continue
			}
			fmt.Fprintf(&b, "\n<details><summary>%s: worst cases</summary>\n\n| case | trace | why |\n|---|---|---|\n", md(c.Name))
			for _, wc := range c.WorstCases {
				fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", md(wc.CaseID), md(wc.TraceID), md(wc.Why))
			}
			b.WriteString("\n</details>\n")
		}
	}
	if d.Contract.Violations > 0 {
		b.WriteString("\n### Trace contract\n\n| kind | field | events |\n|---|---|---|\n")
		for _, g := range d.Contract.ByField {
			fmt.Fprintf(&b, "| %s | %s | %d |\n", md(g.Kind), md(g.Field), g.Events)
		}
	}
	if d.Baseline != nil {
		fmt.Fprintf(&b, "\n### Against baseline `%s` (%s, max drop %.3f)\n\n| rule | baseline | now | change |\n|---|---|---|---|\n", md(d.Baseline.Release), d.Baseline.Status, d.Baseline.MaxDrop)
		for _, x := range d.Baseline.Deltas {
			fmt.Fprintf(&b, "| %s | %.3f | %.3f | %+.3f |\n", md(x.Rule), x.Baseline, x.Current, x.Change)
		}
	}
	if len(d.FixturesAdded) > 0 {
		fmt.Fprintf(&b, "\n### Fixtures added since v%d\n\n| case | incident | trace |\n|---|---|---|\n", d.FixturesSince)
		for _, f := range d.FixturesAdded {
			fmt.Fprintf(&b, "| `%s` | %s | `%s` |\n", md(f.CaseID), md(f.Incident), md(f.TraceID))
		}
	}
	if len(d.Rules) > 0 {
		b.WriteString("\n<details><summary>Rule versions</summary>\n\n")
		for _, r := range d.Rules {
			fmt.Fprintf(&b, "- `%s` %s\n", md(r.ID), r.Version)
		}
		b.WriteString("\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// storeProblem says why a decision is not in gate_decisions.
func (d *Decision) storeProblem() string {
	if d.StoreError != "" {
		return d.StoreError
	}
	return "the gate stopped before it could record a decision"
}

func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// WriteJUnit writes one testcase per check, plus the evidence checks
// (cases, trace contract, baseline). A breached check is a failure carrying
// its worst cases; a hold is an error (evidence incomplete); a non-blocking
// breach is reported in system-out and passes.
func (d *Decision) WriteJUnit(w io.Writer) error {
	s := junit.Suite{Name: "evalhouse gate " + d.Dataset, Time: "0", Timestamp: d.DecidedAt.Format("2006-01-02T15:04:05")}
	for _, p := range [][2]string{{"verdict", string(d.Verdict)}, {"release", d.Release}, {"dataset", d.Dataset},
		{"dataset_hash", d.DatasetHash}, {"owner", d.Owner}, {"commit", d.Commit}, {"stored", fmt.Sprint(d.Stored)}} {
		s.Properties = append(s.Properties, junit.Property{Name: p[0], Value: p[1]})
	}
	class := "gate." + d.Release
	add := func(name string, status Verdict, msg, body string) {
		switch status {
		case Fail:
			s.Add(name, class, junit.Failed, "threshold", msg, body)
		case Hold:
			s.Add(name, class, junit.Errored, "incomplete_evidence", msg, body)
		case VerdictError:
			s.Add(name, class, junit.Errored, "gate_error", msg, body)
		default:
			s.Add(name, class, junit.Passed, "", msg, body)
		}
	}
	if d.Verdict == VerdictError {
		add("gate", VerdictError, strings.Join(d.Reasons, "; "), "")
	}
	if d.StoreError != "" {
		add("decision stored", VerdictError, "decision not stored in gate_decisions: "+d.StoreError, "")
	}
	for _, c := range d.Checks {
		var body strings.Builder
		for _, wc := range c.WorstCases {
			fmt.Fprintf(&body, "case %s trace %s run %s: %s\n", wc.CaseID, wc.TraceID, wc.RunID, wc.Why)
		}
		status := c.Status
		if !c.Blocking && status != Pass {
			status = Warn
		}
		add(c.Name, status, c.Message, body.String())
	}
	if d.evaluated() {
		st, msg := Pass, fmt.Sprintf("%d of %d cases scored", d.Cases.Scored, d.Cases.Expected)
		if d.Cases.MissingCount > 0 {
			st, msg = Hold, msg+"; missing: "+strings.Join(d.Cases.Missing, ", ")
		}
		add("dataset cases scored", st, msg, "")
		msg = "no violations"
		if d.Contract.Violations > 0 {
			msg = d.Contract.describe()
		}
		add("trace contract", d.Contract.Result, msg, "")
	}
	if d.Baseline != nil {
		add("baseline "+d.Baseline.Release, d.Baseline.Status, fmt.Sprintf("max drop %.3f", d.Baseline.MaxDrop), "")
	}
	return junit.Write(w, "evalhouse", s)
}
