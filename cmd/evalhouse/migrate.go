package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/schema"
)

func (a *app) migrateCmd() *cobra.Command {
	var (
		opts   schema.Options
		render bool
	)
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the store's schema",
		Long: `Apply the schema's numbered migrations that the store has not seen yet, and
record each with its checksum in schema_migrations. Safe to run any number of
times. It refuses to run when a migration that was applied has since changed.

With --cluster, statements carry ON CLUSTER and tables use Replicated*
engines (the server needs {shard} and {replica} macros and Keeper).`,
		Example: `  evalhouse migrate
  evalhouse migrate --store clickhouse://evalhouse:secret@ch:9000/evalhouse --cluster prod
  evalhouse migrate --cluster prod --print     # show the DDL, touch nothing`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if render {
				migs, err := schema.Migrations()
				if err != nil {
					return err
				}
				for _, m := range migs {
					stmts, err := m.Statements(opts)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "-- %s (sha256 %.12s)\n", m.Name, m.Checksum)
					for _, s := range stmts {
						fmt.Fprintf(cmd.OutOrStdout(), "%s;\n\n", s)
					}
				}
				return nil
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := schema.Migrate(cmd.Context(), s.Conn, opts, a.log)
			if err != nil {
				return err
			}
			for _, m := range res.Applied {
				fmt.Fprintf(cmd.OutOrStdout(), "applied %s\n", m.Name)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schema at version %d (%d applied now) in %s\n", res.Current, len(res.Applied), s.DSN)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Cluster, "cluster", "", "render ON CLUSTER and Replicated* engines for this cluster")
	cmd.Flags().BoolVar(&render, "print", false, "print the rendered DDL instead of applying it")
	return cmd
}
