// Package reports turns stored events into the views analysts read: runs,
// cost and tokens, policy decisions, trace-contract health, redactions.
package reports

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/events"
)

// Summary is the store at a glance. Every figure is read exactly from
// agent_events (not from rollups), so it matches what a gate would see.
type Summary struct {
	Releases   []events.ReleaseRuns     `json:"releases"`
	Models     []events.ModelUsage      `json:"models"`
	Policy     []events.PolicyDecisions `json:"policy_decisions"`
	Contract   []events.ContractGap     `json:"contract_violations"`
	Redactions []events.Redactions      `json:"redactions"`
}

// BuildSummary reads the summary for one tenant ("" for all).
func BuildSummary(ctx context.Context, conn driver.Conn, tenant string) (*Summary, error) {
	sel := events.Selection{Tenant: tenant}
	s := &Summary{}
	var err error
	if s.Releases, err = events.ReleaseRunCounts(ctx, conn, sel); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	if s.Models, err = events.ModelUsages(ctx, conn, sel); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	if s.Policy, err = events.PolicyDecisionCounts(ctx, conn, sel); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	if s.Contract, err = events.ContractGaps(ctx, conn, sel); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	if s.Redactions, err = events.RedactionCounts(ctx, conn, sel); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	return s, nil
}

// WriteText prints the summary as aligned tables.
func (s *Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	section := func(title, header string) {
		fmt.Fprintf(tw, "\n%s\n", title)
		fmt.Fprintln(tw, header)
	}
	section("Runs per release", "release\truns\tfailed\tevents\ttokens\tcost_usd\t")
	for _, r := range s.Releases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.4f\t\n", r.Release, r.Runs, r.FailedRuns, r.Events, r.TotalTokens, r.CostUSD)
	}
	section("Cost and tokens by model", "model\tcalls\tinput_tokens\toutput_tokens\tcost_usd\t")
	for _, m := range s.Models {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.4f\t\n", m.Model, m.Calls, m.InputTokens, m.OutputTokens, m.CostUSD)
	}
	section("Policy decisions by reason code", "decision\treason_code\tcount\t")
	for _, p := range s.Policy {
		fmt.Fprintf(tw, "%s\t%s\t%d\t\n", p.Decision, p.ReasonCode, p.Count)
	}
	section("Trace-contract violations", "kind\tfield\tevents\t")
	if len(s.Contract) == 0 {
		fmt.Fprintln(tw, "(none)\t\t\t")
	}
	for _, c := range s.Contract {
		fmt.Fprintf(tw, "%s\t%s\t%d\t\n", c.Kind, c.Field, c.Events)
	}
	section("Redactions", "type\tcount\t")
	if len(s.Redactions) == 0 {
		fmt.Fprintln(tw, "(none)\t\t")
	}
	for _, r := range s.Redactions {
		fmt.Fprintf(tw, "%s\t%d\t\n", r.Type, r.Count)
	}
	return tw.Flush()
}
