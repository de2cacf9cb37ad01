package runs

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// timeLayout is how the text forms print instants: UTC, to the
// millisecond, as the store keeps them.
const timeLayout = "2006-01-02 15:04:05.000Z"

// WriteText prints the list as a table, newest run first, and a line
// saying how many runs it shows.
func (l *List) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tRUN\tTENANT\tENV\tRELEASE\tCASE\tSTATUS\tSTOP\tDURATION\tEVENTS\tCOST\tTOKENS IN/OUT\tPOLICY\tFAILING RULES")
	for _, r := range l.Runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d/%d\t%s\t%s\n",
			r.Started.UTC().Format(timeLayout), r.RunID, r.Tenant, r.Environment, r.Release, orDash(r.CaseID), r.Status,
			orDash(r.StopReason), ms(r.DurationMS), r.Events, usd(r.CostUSD), r.InputTokens, r.OutputTokens,
			orDash(decisions(r.Policy)), orDash(strings.Join(r.FailingRules, ",")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	more := ""
	if l.More {
		more = fmt.Sprintf(" (the newest %d: more match, raise --limit)", l.Limit)
	}
	_, err := fmt.Fprintf(w, "%d run(s)%s; `evalhouse run show RUN_ID` shows one\n", len(l.Runs), more)
	return err
}

// WriteText prints the run: a header with its outcome and figures, then
// its events as a tree in time order (each line: offset from the run's
// start, kind, what it did), its eval results and its contract gaps.
func (t *Tree) WriteText(w io.Writer) error {
	var b bytes.Buffer
	r := t.Run
	fmt.Fprintf(&b, "run %s  trace %s  tenant %s  environment %s  release %s\n", r.RunID, r.TraceID, r.Tenant, r.Environment, r.Release)
	if r.Dataset != "" || r.CaseID != "" {
		fmt.Fprintf(&b, "dataset %s  case %s\n", orDash(r.Dataset), orDash(r.CaseID))
	}
	fmt.Fprintf(&b, "status %s (%s)  started %s  duration %s\n", orDash(r.Status), orDash(r.StopReason), r.Started.UTC().Format(timeLayout), ms(r.DurationMS))
	fmt.Fprintf(&b, "%d events: %d model calls, %d tool calls, %d with status error  tokens %d in / %d out  cost %s\n",
		r.Events, r.ModelCalls, r.ToolCalls, r.ErrorEvents, r.InputTokens, r.OutputTokens, usd(r.CostUSD))
	fmt.Fprintf(&b, "policy %s  failing rules %s  contract violations %d  redactions %d\n",
		orDash(decisions(r.Policy)), orDash(strings.Join(r.FailingRules, ", ")), r.ContractViolations, r.Redactions)
	for _, e := range t.Events {
		if e.Run != nil { // the run's payloads, as stored (redacted)
			fmt.Fprintf(&b, "input  %s\noutput %s\n", orDash(string(e.Run.Input)), orDash(string(e.Run.Output)))
			break
		}
	}
	b.WriteString("\n")
	for i, e := range t.Events {
		writeEvent(&b, e, "", i == len(t.Events)-1)
	}
	b.WriteString("\neval results:")
	if len(t.EvalResults) == 0 {
		b.WriteString(" none stored (score the run with `evalhouse eval`)")
	}
	b.WriteString("\n")
	for _, x := range t.EvalResults {
		verdict := "pass"
		if !x.Passed {
			verdict = "FAIL"
		}
		why := x.Reason
		if x.Error != "" {
			why = "error: " + x.Error
		}
		fmt.Fprintf(&b, "  %s %s %s score %s  %s\n", verdict, x.RuleID, x.RuleVersion, num(x.Score), why)
	}
	b.WriteString("contract gaps:")
	if len(t.ContractGaps) == 0 {
		b.WriteString(" none")
	}
	b.WriteString("\n")
	for _, g := range t.ContractGaps {
		fmt.Fprintf(&b, "  %s %s (span %s): %s missing or invalid\n", g.Kind, orDash(g.Name), g.SpanID, g.Field)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeEvent prints e and its children under prefix, as the last of its
// siblings or not.
func writeEvent(b *bytes.Buffer, e *Event, prefix string, last bool) {
	branch, under := "├─ ", "│  "
	if last {
		branch, under = "└─ ", "   "
	}
	line := fmt.Sprintf("%s%s%-9s %s", prefix, branch, "+"+ms(e.OffsetMS), describe(e))
	if e.DurationMS > 0 {
		line += "  (" + ms(e.DurationMS) + ")"
	}
	if e.Status == "error" {
		line += "  STATUS ERROR"
	}
	if len(e.ContractViolations) > 0 {
		line += "  GAP: " + strings.Join(e.ContractViolations, ", ")
	}
	if len(e.Redactions) > 0 {
		line += "  redacted: " + counts(e.Redactions)
	}
	b.WriteString(line + "\n")
	for i, c := range e.Children {
		writeEvent(b, c, prefix+under, i == len(e.Children)-1)
	}
}

// describe is what an event did, on one line.
func describe(e *Event) string {
	switch {
	case e.Run != nil:
		return fmt.Sprintf("run %s %s → %s", orDash(e.Run.Actor), orDash(e.Run.Task), orDash(e.Run.StopReason))
	case e.Model != nil:
		m := e.Model
		cost := usd(m.CostUSD)
		if m.CostSource != "" {
			cost += " " + m.CostSource
		}
		return fmt.Sprintf("model %s (%s) %d in / %d out tokens, %s, latency %s, %s", m.Model, orDash(m.PromptVersion),
			m.InputTokens, m.OutputTokens, cost, ms(m.LatencyMS), orDash(m.OutputStatus))
	case e.Tool != nil:
		c := e.Tool
		s := fmt.Sprintf("tool %s %s, authorization %s", c.Tool, orDash(c.SideEffect), orDash(c.Authorization))
		switch c.Approval {
		case "":
		case "approved":
			s += " (approved)"
		case "none":
			s += " (NO APPROVAL)"
		default:
			s += " (NO APPROVAL: " + c.Approval + ")"
		}
		if c.RetryCount > 0 {
			s += fmt.Sprintf(", %d retries", c.RetryCount)
		}
		if c.IdempotencyKey != "" {
			s += ", key " + c.IdempotencyKey
		}
		if len(c.Args) > 0 {
			s += "  args " + string(c.Args)
		}
		return s
	case e.Retrieval != nil:
		x := e.Retrieval
		fresh := "freshness unknown"
		if x.FreshnessKnown {
			fresh = fmt.Sprintf("fresh (age %s s)", num(x.AgeS))
			if x.Stale {
				fresh = fmt.Sprintf("STALE (age %s s)", num(x.AgeS))
			}
		}
		s := fmt.Sprintf("retrieval %s, %s, access %s", orDash(strings.Join(x.SourceIDs, " ")), fresh, orDash(x.AccessDecision))
		if x.CitationRequired {
			s += ", citation required"
		}
		return s
	case e.Memory != nil:
		m := e.Memory
		ids := strings.Join(append(append([]string{}, m.ReadIDs...), m.WriteIDs...), " ")
		return fmt.Sprintf("memory %s %s (retention %s, basis %s)", orDash(m.Op), orDash(ids), orDash(m.RetentionClass), orDash(m.PolicyBasis))
	case e.Policy != nil:
		p := e.Policy
		return fmt.Sprintf("policy %s: %s %s (enforcement %s)", orDash(p.PolicyVersion), strings.ToUpper(p.Decision), orDash(p.ReasonCode), orDash(p.Enforcement))
	case e.Approval != nil:
		a := e.Approval
		expires := "-"
		if a.ExpiresAt.After(time.Unix(0, 0)) {
			expires = a.ExpiresAt.UTC().Format(timeLayout)
		}
		return fmt.Sprintf("approval of %s by %s: %s (expires %s)", orDash(a.Action), orDash(a.ApproverRole), orDash(a.Result), expires)
	case e.Eval != nil:
		x := e.Eval
		verdict := "passed"
		if !x.Passed {
			verdict = "FAILED"
		}
		return fmt.Sprintf("eval %s %s score %s (threshold %s) %s", x.Evaluator, x.EvaluatorVersion, num(x.Score), num(x.Threshold), verdict)
	}
	return e.Kind
}

// joinCounts is a map of counts as "deny 1, allow 2", by key: a run's
// policy decisions, an event's redactions.
func joinCounts[V uint32 | uint64](m map[string]V) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// decisions and counts name joinCounts where the pages call it.
func decisions(m map[string]uint64) string { return joinCounts(m) }
func counts(m map[string]uint32) string    { return joinCounts(m) }

// ms prints a duration in milliseconds readably: "850ms", "6.207s".
func ms(v float64) string {
	d := time.Duration(v * float64(time.Millisecond))
	if d < time.Second && d > -time.Second {
		return fmt.Sprintf("%sms", num(v))
	}
	return fmt.Sprintf("%.3fs", v/1000)
}

// usd prints a cost in dollars to a ten-thousandth of a cent's precision.
func usd(v float64) string { return fmt.Sprintf("$%.6f", v) }

// num prints a number to at most four decimals, without trailing zeros.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
