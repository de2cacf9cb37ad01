package schema

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Applied is a row of the schema_migrations table.
type Applied struct {
	Version   uint32
	Name      string
	Checksum  string
	AppliedAt time.Time
}

// Result says what Migrate did.
type Result struct {
	Applied []Migration // newly applied, in order
	Current uint32      // the highest applied version afterwards
}

// Migrate applies every embedded migration not yet recorded in
// schema_migrations, in order, and records each with its checksum. It is
// idempotent, and it refuses to run (ErrChecksumMismatch) when a migration
// that was applied has since changed. A nil logger discards.
func Migrate(ctx context.Context, conn driver.Conn, opts Options, log *slog.Logger) (Result, error) {
	migs, err := Migrations()
	if err != nil {
		return Result{}, err
	}
	return migrate(ctx, conn, migs, opts, log)
}

func migrate(ctx context.Context, conn driver.Conn, migs []Migration, opts Options, log *slog.Logger) (Result, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := conn.Exec(ctx, bookkeeping(opts)); err != nil {
		return Result{}, fmt.Errorf("schema: create schema_migrations: %w", err)
	}
	applied, err := AppliedMigrations(ctx, conn)
	if err != nil {
		return Result{}, err
	}
	done := map[uint32]Applied{}
	var res Result
	for _, a := range applied {
		done[a.Version] = a
		res.Current = max(res.Current, a.Version)
	}
	// Check every applied migration before applying anything.
	for _, m := range migs {
		if a, ok := done[m.Version]; ok && a.Checksum != m.Checksum {
			return res, fmt.Errorf("%w: %s was applied with checksum %.12s but the file now has %.12s; "+
				"applied migrations are immutable: add a new migration instead", ErrChecksumMismatch, m.Name, a.Checksum, m.Checksum)
		}
	}
	for _, m := range migs {
		if _, ok := done[m.Version]; ok {
			continue
		}
		stmts, err := m.Statements(opts)
		if err != nil {
			return res, err
		}
		for i, s := range stmts {
			if err := conn.Exec(ctx, s); err != nil {
				return res, fmt.Errorf("schema: %s statement %d: %w", m.Name, i+1, err)
			}
		}
		if err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
			m.Version, m.Name, m.Checksum, time.Now().UTC()); err != nil {
			return res, fmt.Errorf("schema: record %s: %w", m.Name, err)
		}
		log.Info("migration applied", "migration", m.Name)
		res.Applied = append(res.Applied, m)
		res.Current = m.Version
	}
	return res, nil
}

// AppliedMigrations lists what schema_migrations records, in version order.
func AppliedMigrations(ctx context.Context, conn driver.Conn) ([]Applied, error) {
	rows, err := conn.Query(ctx, "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("schema: read schema_migrations: %w", err)
	}
	defer rows.Close()
	var out []Applied
	for rows.Next() {
		var a Applied
		if err := rows.Scan(&a.Version, &a.Name, &a.Checksum, &a.AppliedAt); err != nil {
			return nil, fmt.Errorf("schema: read schema_migrations: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func bookkeeping(opts Options) string {
	on := ""
	if opts.Cluster != "" {
		on = " ON CLUSTER '" + opts.Cluster + "'"
	}
	return "CREATE TABLE IF NOT EXISTS schema_migrations" + on + ` (
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime64(3, 'UTC')
) ENGINE = ` + engine(opts, "schema_migrations", "ReplacingMergeTree", []string{"applied_at"}) + ` ORDER BY version`
}

// Pending lists the embedded migrations the store has not applied. A store
// with no schema_migrations table has them all pending.
func Pending(ctx context.Context, conn driver.Conn) ([]Migration, error) {
	migs, err := Migrations()
	if err != nil {
		return nil, err
	}
	var exists uint8
	if err := conn.QueryRow(ctx, "EXISTS TABLE schema_migrations").Scan(&exists); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	if exists == 0 {
		return migs, nil
	}
	applied, err := AppliedMigrations(ctx, conn)
	if err != nil {
		return nil, err
	}
	done := map[uint32]bool{}
	for _, a := range applied {
		done[a.Version] = true
	}
	var out []Migration
	for _, m := range migs {
		if !done[m.Version] {
			out = append(out, m)
		}
	}
	return out, nil
}
