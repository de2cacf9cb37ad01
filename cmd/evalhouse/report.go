package main

import (
	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/reports"
)

func (a *app) reportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Reports for analysts: runs, cost, policy, contract health, redactions",
	}
	var (
		tenant string
		asJSON bool
	)
	summary := &cobra.Command{
		Use:   "summary",
		Short: "Runs per release, cost and tokens by model, policy decisions, contract violations, redactions",
		Example: `  evalhouse report summary
  evalhouse report summary --tenant acme --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			sum, err := reports.BuildSummary(cmd.Context(), s.Conn, tenant)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), sum)
			}
			return sum.WriteText(cmd.OutOrStdout())
		},
	}
	summary.Flags().StringVar(&tenant, "tenant", "", "only this tenant")
	summary.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(summary)
	return cmd
}
