package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/releases"
)

func (a *app) releaseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "release",
		Short: "The release record (what a release ran with) and its stage log",
		Long: `The release record is what a release actually ran with, read from its
events: the models and prompt versions its model calls used, its tools and
the schema versions their events name (attribute
evalhouse.tool.schema_version), its policy versions, the dataset versions its
gates judged it on, its trace export status (events per kind, contract
violations, first and last event, last stored) and where it was seen (first
and last event per environment and tenant).

The stage log is the rollout's history: each stage a release entered, where,
for which cohort (tenants or a percentage of traffic), who owns the stage,
who rolls it back, and the release record at that moment. Stage names are our
design's six — local, staging, internal, cohort, expanded, full — unless
--stages names your rollout's. See docs/rollout.md.`,
	}
	cmd.AddCommand(a.releaseShowCmd(), a.releaseRecordCmd(), a.releaseLogCmd())
	return cmd
}

// releaseFormat checks --format.
func releaseFormat(f string) error {
	if f != "table" && f != "json" {
		return &exitError{code: exitUsage, err: fmt.Errorf("--format %q: want table or json", f)}
	}
	return nil
}

func (a *app) releaseShowCmd() *cobra.Command {
	var environment, format string
	cmd := &cobra.Command{
		Use:   "show RELEASE [--environment E] [--format table|json]",
		Short: "Show what a release ran with, and its stage log",
		Long: `Show the release record of RELEASE, read from its events now (in one
environment with --environment), its stage log (every environment's) and
its latest stage gate decisions.
--format json prints what GET /v1/releases/RELEASE answers.

A release the store knows nothing of (no events, gate decisions or stage
transitions) exits 3: check the name.`,
		Example: `  evalhouse release show 2.4.0
  evalhouse release show 2.4.0 --environment production --format json | jq '.record.models'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := releaseFormat(format); err != nil {
				return err
			}
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			rel, err := releases.Show(cmd.Context(), s.Conn, args[0], environment)
			if err == nil {
				rel.Decisions, err = stageDecisions(cmd.Context(), s.Conn, rel.Record.Release)
			}
			if err != nil {
				return releaseError(err)
			}
			if !rel.Known() {
				return &exitError{code: exitInvalid, err: fmt.Errorf("%s (evalhouse report summary lists the releases with events)", rel.Unknown())}
			}
			if format == "json" {
				return printJSON(cmd.OutOrStdout(), rel)
			}
			return rel.WriteText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&environment, "environment", "", "read the events of this environment only (production, staging)")
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

func (a *app) releaseRecordCmd() *cobra.Command {
	var (
		t              releases.Transition
		stages, format string
		percent        float64
	)
	cmd := &cobra.Command{
		Use:   "record RELEASE --stage S --owner O --rollback-owner P [--environment E] [--tenants a,b | --percent N] [--note TEXT] [--stages a,b,c]",
		Short: "Record that a release entered a rollout stage",
		Long: `Record a stage transition of RELEASE in the stage log: the stage it
entered, the environment, the cohort (--tenants, or --percent of traffic;
neither is the whole environment), who owns the stage (--owner) and who
rolls it back (--rollback-owner), a note, who recorded it (--by, default
$USER), and, as evidence, the release record in that environment at this
moment. Every text is redacted before it is stored.

--stage must be one of our design's six stages — local, staging, internal,
cohort, expanded, full — or of the list --stages gives (comma-separated, in
rollout order): a rollout that calls its cohort stage "canary" passes
--stages local,staging,canary,full. An unknown stage exits 2 and names the
allowed ones.

A stage may be entered before the release has traffic (staging before the
first run): the transition is recorded, with a warning that its evidence
holds no events.`,
		Example: `  evalhouse release record 2.4.0 --stage staging --environment staging --owner ana --rollback-owner bo
  evalhouse release record 2.4.0 --stage cohort --environment production --tenants acme,globex --owner ana --rollback-owner bo --note "refund tool v3"
  evalhouse release record 2.4.0 --stages local,staging,canary,full --stage canary --environment production --percent 5 --owner ana --rollback-owner bo`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := releaseFormat(format); err != nil {
				return err
			}
			t.Release = args[0]
			if cmd.Flags().Changed("stages") {
				list, err := releases.ParseStages(stages)
				if err != nil {
					return releaseError(err)
				}
				t.Stages = list
			}
			if cmd.Flags().Changed("percent") {
				t.Cohort.Percent = &percent
			}
			if t.RecordedBy == "" {
				t.RecordedBy = firstNonEmpty(os.Getenv("USER"), "unknown")
			}
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			st, err := releases.Record(cmd.Context(), s.Conn, t)
			if err != nil {
				return releaseError(err)
			}
			for _, w := range st.Evidence.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			if format == "json" {
				return printJSON(cmd.OutOrStdout(), st)
			}
			env := ""
			if st.Environment != "" {
				env = " in " + st.Environment
			}
			fmt.Fprintf(cmd.OutOrStdout(), "recorded %s: stage %s%s, cohort %s, owner %s, rollback owner %s (evidence: %d events, %d runs)\n",
				st.Release, st.Stage, env, st.Cohort, st.Owner, st.RollbackOwner, st.Evidence.Export.Events, st.Evidence.Export.Runs)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&t.Stage, "stage", "", "the stage entered: one of --stages")
	fl.StringVar(&stages, "stages", strings.Join(releases.DefaultStages, ","), "the rollout's stage names, in order")
	fl.StringVar(&t.Environment, "environment", "", "where the stage runs (production, staging); the evidence is the record there")
	fl.StringSliceVar(&t.Cohort.Tenants, "tenants", nil, "the cohort: these tenants (comma-separated)")
	fl.Float64Var(&percent, "percent", 0, "the cohort: this percentage of traffic, 0 to 100")
	fl.StringVar(&t.Owner, "owner", "", "who owns the stage (required)")
	fl.StringVar(&t.RollbackOwner, "rollback-owner", "", "who rolls the stage back (required)")
	fl.StringVar(&t.Note, "note", "", "a note for the log")
	fl.StringVar(&t.RecordedBy, "by", "", "who records the transition (default $USER)")
	fl.StringVar(&format, "format", "table", "table (a line) or json (the stored transition)")
	return cmd
}

func (a *app) releaseLogCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "log RELEASE [--format table|json]",
		Short: "List a release's stage transitions, oldest first",
		Long: `List the stage transitions recorded for RELEASE (evalhouse release
record), oldest first. --format json includes each transition's evidence:
the release record when it was recorded.`,
		Example: `  evalhouse release log 2.4.0
  evalhouse release log 2.4.0 --format json | jq '.[-1].evidence.models'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := releaseFormat(format); err != nil {
				return err
			}
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			log, err := releases.Log(cmd.Context(), s.Conn, args[0])
			if err != nil {
				return releaseError(err)
			}
			if format == "json" {
				return printJSON(cmd.OutOrStdout(), log)
			}
			return releases.WriteLog(cmd.OutOrStdout(), log)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

// releaseError is a releases error with its exit code: a value the caller
// must fix (releases.FieldError) is a usage error (2).
func releaseError(err error) error {
	var fe *releases.FieldError
	if errors.As(err, &fe) {
		return &exitError{code: exitUsage, err: err}
	}
	return err
}
