package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/ingest/envelope"
	"github.com/evalhouse/evalhouse/reports/runs"
)

// runsFlags are the filters of `evalhouse runs`.
type runsFlags struct {
	status, release, environment, tenant, since, until, failedRule, policy string
	limit                                                                  int
	exact, asJSON                                                          bool
}

func (a *app) runsCmd() *cobra.Command {
	var f runsFlags
	cmd := &cobra.Command{
		Use:   "runs [--status error] [--release R] [--environment E] [--tenant T] [--since D] [--until D] [--failed-rule R] [--policy deny] [--limit N] [--json]",
		Short: "List runs for incident response: outcome, cost, duration, failing rules, policy decisions",
		Long: `List the runs the filters select, newest first: when each started, its
tenant, environment, release and dataset case, its status and stop reason,
duration, events, cost and tokens of its model calls, its policy decisions
by decision, and the rules whose latest result on it failed.

A run is selected by its run event: --status, --since and --until are that
event's status and start. --since and --until take an RFC 3339 time
(2026-11-20T09:00:00Z) or a duration before now (90m, 24h, 7d); since is
inclusive, until exclusive. --policy keeps runs with at least one policy
decision of that kind; --failed-rule keeps runs whose latest result of that
rule failed or erred (score them first with evalhouse eval).

Show one run with evalhouse run show RUN_ID; open an incident on it with
evalhouse incident open --run RUN_ID.`,
		Example: `  evalhouse runs --status error --since 24h
  evalhouse runs --release 2.4.0 --policy deny
  evalhouse runs --environment production --tenant acme --limit 20 --json
  evalhouse runs --failed-rule approval_before_refund --release 2.4.0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			filter, err := f.filter(time.Now().UTC())
			if err != nil {
				return err
			}
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			list, err := runs.BuildList(cmd.Context(), s.Conn, filter)
			if err != nil {
				return err
			}
			if f.asJSON {
				return printJSON(cmd.OutOrStdout(), list)
			}
			return list.WriteText(cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.status, "status", "", "only runs whose run event has this status: ok or error")
	fl.StringVar(&f.release, "release", "", "only this release")
	fl.StringVar(&f.environment, "environment", "", "only this environment")
	fl.StringVar(&f.tenant, "tenant", "", "only this tenant")
	fl.StringVar(&f.since, "since", "", "only runs started at or after this time (RFC 3339, or a duration before now: 24h, 7d)")
	fl.StringVar(&f.until, "until", "", "only runs started before this time (RFC 3339, or a duration before now)")
	fl.StringVar(&f.failedRule, "failed-rule", "", "only runs whose latest result of this rule id failed")
	fl.StringVar(&f.policy, "policy", "", "only runs with a policy decision of this kind: allow, deny or require_approval")
	fl.IntVar(&f.limit, "limit", 50, "list at most this many runs, newest first (0: all)")
	fl.BoolVar(&f.exact, "exact", false, "read with FINAL: exact even while duplicates from concurrent writers await a merge (slower)")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON (fields in docs/reports.md)")
	return cmd
}

// filter checks the flags and returns the filter they make: a value
// outside a flag's vocabulary is a usage error naming the flag.
func (f runsFlags) filter(now time.Time) (runs.Filter, error) {
	usage := func(err error) (runs.Filter, error) { return runs.Filter{}, &exitError{code: exitUsage, err: err} }
	for _, c := range []struct{ flag, field, value string }{{"--status", "status", f.status}, {"--policy", "decision", f.policy}} {
		if allowed := envelope.EnumValues(c.field); c.value != "" && !slices.Contains(allowed, c.value) {
			return usage(fmt.Errorf("%s %q: want one of %s", c.flag, c.value, strings.Join(allowed, ", ")))
		}
	}
	if f.limit < 0 {
		return usage(fmt.Errorf("--limit %d: want 0 (all) or more", f.limit))
	}
	out := runs.Filter{FailedRule: f.failedRule}
	q := &out.RunQuery
	q.Status, q.Release, q.Environment, q.Tenant, q.Policy, q.Limit, q.Exact = f.status, f.release, f.environment, f.tenant, f.policy, f.limit, f.exact
	var err error
	if q.Since, err = parseWhen("--since", f.since, now); err != nil {
		return usage(err)
	}
	if q.Until, err = parseWhen("--until", f.until, now); err != nil {
		return usage(err)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return usage(fmt.Errorf("--since %s is not before --until %s", q.Since.Format(time.RFC3339), q.Until.Format(time.RFC3339)))
	}
	return out, nil
}

func (a *app) runCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Inspect one run: every event, in time order",
	}
	var (
		tenant string
		asJSON bool
	)
	show := &cobra.Command{
		Use:   "show RUN_ID|TRACE_ID [--tenant T] [--json]",
		Short: "Print a run as a tree in time order: model calls, tools, retrievals, memory, policy, approvals, evals, contract gaps",
		Long: `Reconstruct one run from its events, as ingest stored them (payloads
redacted): a header with its outcome, cost, tokens, policy decisions and
failing rules, then each event nested under its parent span in time order,
with its offset from the run's start — model calls with tokens and cost,
tools with their arguments, authorization, side effect and the approval
they had (NO APPROVAL marks an approval_required call without one),
retrievals with sources and freshness, memory reads and writes, policy
decisions, approvals and eval events — then each rule's latest result on
the run and the trace-contract gaps of its events.

The id is a run id or a trace id. A run id held by several tenants needs
--tenant. An id the store does not hold exits 3.`,
		Example: `  evalhouse run show run-2.4.0-c017
  evalhouse run show 55dbab908a6c26c62d1cb8dcaae94316 --json
  evalhouse run show run-2.4.0-p04 --tenant acme`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			tree, err := runs.BuildTree(cmd.Context(), s.Conn, args[0], tenant)
			if err != nil {
				return runError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), tree)
			}
			return tree.WriteText(cmd.OutOrStdout())
		},
	}
	show.Flags().StringVar(&tenant, "tenant", "", "the run's tenant, when its id is another tenant's too")
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON (fields in docs/reports.md)")
	cmd.AddCommand(show)
	return cmd
}

// runError gives a run lookup's errors their exit codes: an id the store
// does not hold is invalid input (3), one naming several runs a usage
// error (2).
func runError(err error) error {
	switch {
	case errors.Is(err, runs.ErrNotFound):
		return &exitError{code: exitInvalid, err: err}
	case errors.Is(err, runs.ErrAmbiguous):
		return &exitError{code: exitUsage, err: err}
	}
	return err
}
