package rollout

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

var verdictMark = map[Verdict]string{Expand: "✅ EXPAND", Rollback: "⏪ ROLLBACK", Hold: "⏸ HOLD", Narrow: "↘ NARROW", VerdictError: "⚠ ERROR"}

// headline is the decision in one line.
func (d *Decision) headline() string {
	base := ""
	if d.Baseline != "" {
		base = " against " + d.Baseline
	}
	return fmt.Sprintf("%s %s at stage %s (%s, %s window ending %s%s), exit %d",
		verdictMark[d.Verdict], d.Release, d.Stage, d.Environment, d.Window.Duration, d.Window.Until.Format("2006-01-02 15:04:05Z"), base, d.ExitCode)
}

// WriteText writes the terminal summary.
func (d *Decision) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintln(&b, d.headline())
	fmt.Fprintf(&b, "  decision %s; runs %d (baseline %d, min %d)", d.DecisionID, d.Samples.Runs, d.Samples.BaselineRuns, d.Samples.MinRuns)
	if d.Samples.ScoredByGate > 0 || d.Samples.StoredScores > 0 {
		fmt.Fprintf(&b, "; rule results: %d stored, %d scored by the gate", d.Samples.StoredScores, d.Samples.ScoredByGate)
	}
	b.WriteString("\n")
	for _, c := range d.Checks {
		fmt.Fprintf(&b, "  %-7s %-8s %s: %s\n", c.Status, c.Severity, c.Name, c.Message)
	}
	for _, r := range d.Reasons {
		if d.Verdict == VerdictError {
			fmt.Fprintf(&b, "  error: %s\n", r)
		} else if strings.HasPrefix(r, "hold: ") && !strings.Contains(r, ": metric ") && !strings.Contains(r, ": rule ") {
			fmt.Fprintf(&b, "  %s\n", r)
		}
	}
	for _, c := range d.Disable {
		fmt.Fprintf(&b, "  disable %s %s: %s\n", c.Kind, c.Name, c.Why)
	}
	if d.Verdict == Rollback {
		fmt.Fprintf(&b, "  next: evalhouse incident open --from-gate %s --severity sev2 (on the %d failing runs, worst first)\n", d.DecisionID, len(d.FailingRuns))
	}
	if d.StoreError != "" {
		fmt.Fprintf(&b, "  NOT STORED: %s\n", d.StoreError)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// WriteMarkdown writes the evidence for a pull request comment or a job
// summary.
func (d *Decision) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", md(d.headline()))
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	rows := [][2]string{{"decision", d.DecisionID}, {"stage", d.Stage + " (of " + strings.Join(d.Stages, " → ") + ")"},
		{"release", d.Release}, {"baseline", orDash(d.Baseline)}, {"environment", d.Environment},
		{"window", fmt.Sprintf("%s → %s (%s)", d.Window.Since.Format("2006-01-02 15:04:05Z"), d.Window.Until.Format("2006-01-02 15:04:05Z"), d.Window.Duration)},
		{"cohort", cohort(d.Cohort)}, {"runs", fmt.Sprintf("%d (baseline %d; min_runs %d)", d.Samples.Runs, d.Samples.BaselineRuns, d.Samples.MinRuns)},
		{"kinds seen", orDash(strings.Join(d.Samples.Kinds, ", "))}, {"owner", orDash(d.Owner)}, {"rollback owner", orDash(d.RollbackOwner)},
		{"stored", fmt.Sprint(d.Stored)}}
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], md(r[1]))
	}
	if len(d.Checks) > 0 {
		b.WriteString("\n| check | severity | status | observed | baseline | test | result |\n|---|---|---|---|---|---|---|\n")
		for _, c := range d.Checks {
			base, test := "—", "—"
			if c.BaselineValue != nil {
				base = fmt.Sprintf("%.4g", *c.BaselineValue)
			}
			if c.Test != nil {
				test = fmt.Sprintf("%s: n %d/%d, z %.3f, p %.4g (α %g, margin %g)", c.Test.Name, c.Test.N, c.Test.NBaseline, c.Test.Z, c.Test.PValue, c.Test.Alpha, c.Test.Margin)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.4g | %s | %s | %s |\n", md(c.Name), c.Severity, c.Status, c.Observed, base, md(test), md(c.Message))
		}
	}
	if len(d.Reasons) > 0 {
		b.WriteString("\n**Why**\n\n")
		for _, r := range d.Reasons {
			fmt.Fprintf(&b, "- %s\n", md(r))
		}
	}
	if len(d.Disable) > 0 {
		b.WriteString("\n**Disable**\n\n")
		for _, c := range d.Disable {
			fmt.Fprintf(&b, "- %s `%s` (%s): %s\n", c.Kind, md(c.Name), md(c.Check), md(c.Why))
		}
	}
	if len(d.FailingRuns) > 0 {
		fmt.Fprintf(&b, "\n**Failing runs** (worst first; `evalhouse incident open --from-gate %s` opens an incident on them)\n\n| run | trace | check | value |\n|---|---|---|---|\n", d.DecisionID)
		for _, r := range d.FailingRuns[:min(len(d.FailingRuns), 10)] {
			fmt.Fprintf(&b, "| %s | %s | %s | %.4g |\n", md(r.RunID), md(r.TraceID), md(r.Check), r.Value)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func cohort(c Cohort) string {
	switch {
	case len(c.Tenants) > 0:
		return "tenants " + strings.Join(c.Tenants, ", ")
	case c.Percent > 0:
		return fmt.Sprintf("%g%% of traffic", c.Percent)
	}
	return "all traffic"
}

// WriteJUnit writes one testcase per check: a blocking breach is a
// failure, a hold an error (evidence incomplete), a warning breach passes
// with its message in system-out (the verdict narrows).
func (d *Decision) WriteJUnit(w io.Writer) error {
	s := junit.Suite{Name: "evalhouse stage gate " + d.Stage, Time: "0", Timestamp: d.DecidedAt.Format("2006-01-02T15:04:05")}
	for _, p := range [][2]string{{"decision_id", d.DecisionID}, {"verdict", string(d.Verdict)}, {"exit_code", fmt.Sprint(d.ExitCode)},
		{"release", d.Release}, {"baseline", d.Baseline}, {"stage", d.Stage}, {"environment", d.Environment},
		{"window_since", d.Window.Since.Format("2006-01-02T15:04:05Z")}, {"window_until", d.Window.Until.Format("2006-01-02T15:04:05Z")},
		{"runs", fmt.Sprint(d.Samples.Runs)}, {"baseline_runs", fmt.Sprint(d.Samples.BaselineRuns)}, {"stored", fmt.Sprint(d.Stored)}} {
		s.Properties = append(s.Properties, junit.Property{Name: p[0], Value: p[1]})
	}
	class := "stage." + d.Stage
	if d.Verdict == VerdictError {
		s.Add("stage gate", class, junit.Errored, "gate_error", strings.Join(d.Reasons, "; "), "")
	}
	for _, c := range d.Checks {
		var body strings.Builder
		if c.Test != nil {
			fmt.Fprintf(&body, "%s: x %d of n %d, x_baseline %d of n_baseline %d, z %g, p %g, alpha %g, margin %g\n",
				c.Test.Name, c.Test.X, c.Test.N, c.Test.XBaseline, c.Test.NBaseline, c.Test.Z, c.Test.PValue, c.Test.Alpha, c.Test.Margin)
		}
		for _, r := range c.failRuns {
			fmt.Fprintf(&body, "run %s trace %s: %g\n", r.RunID, r.TraceID, r.Value)
		}
		switch {
		case c.Status == StatusBreach && c.Severity == SeverityBlocking:
			s.Add(c.Name, class, junit.Failed, "threshold", c.Message, body.String())
		case c.Status == StatusHold:
			s.Add(c.Name, class, junit.Errored, "incomplete_evidence", c.Message, body.String())
		default:
			s.Add(c.Name, class, junit.Passed, "", string(c.Status)+": "+c.Message, "")
		}
	}
	for _, r := range d.Reasons {
		if h, ok := strings.CutPrefix(r, "hold: "); ok && !strings.HasPrefix(h, "metric ") && !strings.HasPrefix(h, "rule ") {
			s.Add("evidence", class, junit.Errored, "incomplete_evidence", h, "")
		}
	}
	if d.StoreError != "" {
		s.Add("decision stored", class, junit.Errored, "gate_error", "decision not stored in stage_decisions: "+d.StoreError, "")
	}
	return junit.Write(w, "evalhouse", s)
}
