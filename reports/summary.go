// Package reports turns stored events into the views analysts read: runs,
// cost and tokens, policy decisions, trace-contract health, redactions.
package reports

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Summary is the store at a glance. Every figure is read exactly from
// agent_events (not from rollups), so it matches what a gate would see.
type Summary struct {
	Releases   []ReleaseRuns     `json:"releases"`
	Models     []ModelUsage      `json:"models"`
	Policy     []PolicyDecisions `json:"policy_decisions"`
	Contract   []ContractGap     `json:"contract_violations"`
	Redactions []Redactions      `json:"redactions"`
}

// ReleaseRuns counts runs per release.
type ReleaseRuns struct {
	Release     string  `json:"release" ch:"release"`
	Runs        uint64  `json:"runs" ch:"runs"`
	FailedRuns  uint64  `json:"failed_runs" ch:"failed_runs"`
	Events      uint64  `json:"events" ch:"events"`
	CostUSD     float64 `json:"cost_usd" ch:"cost_usd"`
	TotalTokens uint64  `json:"total_tokens" ch:"total_tokens"`
}

// ModelUsage is model calls, tokens and cost per model.
type ModelUsage struct {
	Model        string  `json:"model" ch:"model"`
	Calls        uint64  `json:"calls" ch:"calls"`
	InputTokens  uint64  `json:"input_tokens" ch:"input_tokens"`
	OutputTokens uint64  `json:"output_tokens" ch:"output_tokens"`
	CostUSD      float64 `json:"cost_usd" ch:"cost_usd"`
}

// PolicyDecisions counts policy decisions per decision and reason code.
type PolicyDecisions struct {
	Decision   string `json:"decision" ch:"decision"`
	ReasonCode string `json:"reason_code" ch:"reason_code"`
	Count      uint64 `json:"count" ch:"count"`
}

// ContractGap counts events of a kind that miss (or misstate) a field.
type ContractGap struct {
	Kind   string `json:"kind" ch:"kind"`
	Field  string `json:"field" ch:"field"`
	Events uint64 `json:"events" ch:"events"`
}

// Redactions counts secrets replaced by markers, per type.
type Redactions struct {
	Type  string `json:"type" ch:"type"`
	Count uint64 `json:"count" ch:"count"`
}

// BuildSummary reads the summary for one tenant ("" for all).
func BuildSummary(ctx context.Context, conn driver.Conn, tenant string) (*Summary, error) {
	s := &Summary{}
	where := "1"
	var args []any
	if tenant != "" {
		where, args = "tenant = ?", []any{tenant}
	}
	if err := conn.Select(ctx, &s.Releases, `
		SELECT release,
		       countIf(kind = 'run') AS runs,
		       countIf(kind = 'run' AND status = 'error') AS failed_runs,
		       count() AS events,
		       sum(cost_usd) AS cost_usd,
		       sum(input_tokens + output_tokens) AS total_tokens
		FROM agent_events FINAL WHERE `+where+`
		GROUP BY release ORDER BY release`, args...); err != nil {
		return nil, fmt.Errorf("reports: runs by release: %w", err)
	}
	if err := conn.Select(ctx, &s.Models, `
		SELECT model, count() AS calls, sum(input_tokens) AS input_tokens,
		       sum(output_tokens) AS output_tokens, sum(cost_usd) AS cost_usd
		FROM agent_events FINAL WHERE kind = 'model' AND `+where+`
		GROUP BY model ORDER BY cost_usd DESC, model`, args...); err != nil {
		return nil, fmt.Errorf("reports: model usage: %w", err)
	}
	if err := conn.Select(ctx, &s.Policy, `
		SELECT decision, reason_code, count() AS count
		FROM agent_events FINAL WHERE kind = 'policy' AND `+where+`
		GROUP BY decision, reason_code ORDER BY count DESC, decision, reason_code`, args...); err != nil {
		return nil, fmt.Errorf("reports: policy decisions: %w", err)
	}
	if err := conn.Select(ctx, &s.Contract, `
		SELECT kind, field, count() AS events
		FROM agent_events FINAL ARRAY JOIN contract_violations AS field
		WHERE `+where+`
		GROUP BY kind, field ORDER BY events DESC, kind, field`, args...); err != nil {
		return nil, fmt.Errorf("reports: contract violations: %w", err)
	}
	if err := conn.Select(ctx, &s.Redactions, `
		SELECT type, sum(n) AS count
		FROM agent_events FINAL ARRAY JOIN mapKeys(redaction_counts) AS type, mapValues(redaction_counts) AS n
		WHERE `+where+`
		GROUP BY type ORDER BY count DESC, type`, args...); err != nil {
		return nil, fmt.Errorf("reports: redactions: %w", err)
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
