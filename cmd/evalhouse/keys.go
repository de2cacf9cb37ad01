package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/evalhouse/evalhouse/datasets"
	"github.com/evalhouse/evalhouse/internal/auth"
	"github.com/evalhouse/evalhouse/keys"
)

func (a *app) keysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Keys for serve's endpoints and its ClickHouse interface: create, list, revoke",
		Long: `A key opens evalhouse serve: POST /v1/events and /v1/traces (role ingest),
GET /v1/gates (read or gate), POST /v1/gates (gate), and the ClickHouse
interface of --clickhouse-listen (any role). Admin may do everything.

A key is one opaque string, sent in any of these forms:

  Authorization: Bearer KEY
  HTTP basic auth with KEY as the password (any user name, e.g. the key's)
  X-ClickHouse-Key: KEY
  ?password=KEY

so curl, OTLP exporters, Grafana, DBeaver and evalhouse itself
(--store http://NAME:KEY@HOST:PORT) all work. Missing or wrong key: 401;
a role that may not: 403.

A key created with --tenant writes only that tenant: events naming another
tenant are rejected (the rest land), events naming none get it.

The store keeps a key's SHA-256, never the key: it is printed once, by
create, alone on the last line of its output. A revoked key is refused by a
running serve within 2 seconds; names are never reused.

serve refuses to listen beyond loopback until a key exists. See
docs/security.md.`,
		Example: `  evalhouse keys create --role admin --name ops
  evalhouse keys create --role ingest --tenant acme --name acme-agents | tail -1 > acme.key
  evalhouse keys list
  evalhouse keys revoke acme-agents
  curl -H "Authorization: Bearer $(cat acme.key)" --data-binary @events.ndjson http://127.0.0.1:4318/v1/events`,
	}
	cmd.AddCommand(a.keysCreateCmd(), a.keysListCmd(), a.keysRevokeCmd())
	return cmd
}

func (a *app) keysCreateCmd() *cobra.Command {
	var spec keys.Spec
	var role string
	cmd := &cobra.Command{
		Use:   "create --role ingest|read|gate|admin [--tenant T] [--name N]",
		Short: "Create a key; it is printed once, alone on the last line",
		Long: `Create a random 256-bit key with a role, optionally scoped to one tenant.
The key is printed once, alone on the last line of standard output; the
store keeps only its hash, so a lost key cannot be shown again: revoke it
and create another.

Roles: ingest (POST /v1/events, /v1/traces), read (GET /v1/gates, the
ClickHouse interface), gate (POST and GET /v1/gates), admin (everything).`,
		Example: `  evalhouse keys create --role ingest --tenant acme --name acme-agents
  KEY=$(evalhouse keys create --role gate --name ci | tail -1)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec.Role = auth.Role(role)
			if spec.CreatedBy == "" {
				spec.CreatedBy = datasets.CurrentUser()
			}
			if err := spec.Validate(); err != nil {
				return &exitError{exitUsage, fmt.Errorf("keys create: %w", err)}
			}
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			secret, k, err := keys.New(s.Conn).Create(cmd.Context(), spec)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			scope := "every tenant"
			if k.Tenant != "" {
				scope = "tenant " + k.Tenant
			}
			fmt.Fprintf(out, "created key %s: role %s, %s, in %s\n", k.Name, k.Role, scope, s.DSN)
			fmt.Fprintln(out, "the key follows; it is shown only this once (the store keeps its hash):")
			fmt.Fprintln(out, secret)
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "what the key may do: ingest, read, gate or admin (required)")
	cmd.Flags().StringVar(&spec.Tenant, "tenant", "", "the only tenant the key may write (default: every tenant; not for admin)")
	cmd.Flags().StringVar(&spec.Name, "name", "", "the key's name, for lists, logs and revoke (default ROLE-xxxxxx)")
	cmd.Flags().StringVar(&spec.CreatedBy, "by", "", "who creates it, kept as created_by (default: the OS user)")
	cmd.MarkFlagRequired("role")
	return cmd
}

func (a *app) keysListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List keys: name, role, tenant, created, by whom, revoked (never a key or its hash)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			ks, err := keys.New(s.Conn).List(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if ks == nil {
					ks = []keys.Key{}
				}
				return printJSON(cmd.OutOrStdout(), ks)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tTENANT\tCREATED\tCREATED BY\tREVOKED")
			for _, k := range ks {
				tenant, revoked := k.Tenant, "-"
				if tenant == "" {
					tenant = "*"
				}
				if !k.Live() {
					revoked = k.Revoked.Format(time.RFC3339) + " by " + k.RevokedBy
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, k.Role, tenant, k.Created.Format(time.RFC3339), k.CreatedBy, revoked)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) keysRevokeCmd() *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a key: every running serve refuses it within 2 seconds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if by == "" {
				by = datasets.CurrentUser()
			}
			s, err := a.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			k, err := keys.New(s.Conn).Revoke(cmd.Context(), args[0], by)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked key %s (role %s) at %s\n", k.Name, k.Role, k.Revoked.Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who revokes it, kept as revoked_by (default: the OS user)")
	return cmd
}
