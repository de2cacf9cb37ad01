package events

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/evalhouse/evalhouse/internal/chsql"
)

//go:embed sql/*.sql
var sqlFS embed.FS

var stmts = chsql.Load("events", sqlFS)

var qInsert = stmts.Render("insert_events", struct{ Columns string }{strings.Join(InsertColumns, ", ")})

// Insert stores rows as one insert. It does not look for duplicates: the
// caller (ingest's Writer) has. An error is the store's, unchanged, so the
// caller can tell a refusal from an outage.
func Insert(ctx context.Context, conn driver.Conn, rows []*Row) error {
	b, err := conn.PrepareBatch(ctx, qInsert)
	if err != nil {
		return fmt.Errorf("events: prepare insert: %w", err)
	}
	for i, col := range insertValues(rows) {
		if err := b.Column(i).Append(col); err != nil {
			b.Abort()
			return fmt.Errorf("events: column %s: %w", InsertColumns[i], err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("events: insert %d events: %w", len(rows), err)
	}
	return nil
}

// Key identifies a stored event: agent_events holds one row per key.
type Key struct{ Tenant, EventID string }

// Window is a set of tenants and a ts range, both ends included.
type Window struct {
	Tenants []string
	Lo, Hi  time.Time
}

func (w Window) args() []any {
	return []any{clickhouse.Named("tenants", w.Tenants), clickhouse.Named("lo", w.Lo.UnixMicro()), clickhouse.Named("hi", w.Hi.UnixMicro())}
}

// CountInWindow counts the events stored in the window.
func CountInWindow(ctx context.Context, conn driver.Conn, w Window) (uint64, error) {
	var n uint64
	if err := conn.QueryRow(ctx, stmts.Get("window_count"), w.args()...).Scan(&n); err != nil {
		return 0, fmt.Errorf("events: count stored events: %w", err)
	}
	return n, nil
}

// KeysInWindow adds the keys of the events stored in the window to seen,
// each with its stored content hash (0 for rows stored before hashes).
func KeysInWindow(ctx context.Context, conn driver.Conn, w Window, seen map[Key]uint64) error {
	return collectKeys(ctx, conn, seen, stmts.Get("window_keys"), w.args()...)
}

// maxIDBytes bounds one lookup's ids well under the server's
// max_query_size (256 KiB by default): ids are bound into the statement.
const maxIDBytes = 128 << 10

// KeysByID adds the keys (and content hashes) of the stored events with
// these ids to seen, in as many queries as keep each statement bounded.
func KeysByID(ctx context.Context, conn driver.Conn, ids []string, seen map[Key]uint64) error {
	for start := 0; start < len(ids); {
		end, size := start, 0
		for end < len(ids) && (end == start || size+len(ids[end])+4 <= maxIDBytes) {
			size += len(ids[end]) + 4
			end++
		}
		if err := collectKeys(ctx, conn, seen, stmts.Get("keys_by_id"), clickhouse.Named("ids", ids[start:end])); err != nil {
			return err
		}
		start = end
	}
	return nil
}

func collectKeys(ctx context.Context, conn driver.Conn, seen map[Key]uint64, q string, args ...any) error {
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("events: look up stored events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k Key
		var h uint64
		if err := rows.Scan(&k.Tenant, &k.EventID, &h); err != nil {
			return fmt.Errorf("events: look up stored events: %w", err)
		}
		seen[k] = h
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("events: look up stored events: %w", err)
	}
	return nil
}

// IngestLog is one ingest_log row: what one ingest was told and stored.
type IngestLog struct {
	IngestID                                           string
	Started, Finished                                  time.Time
	Source, Origin                                     string
	Accepted, Rejected, Expired, Duplicates, Conflicts uint64
	Redactions, Violations                             map[string]uint64
}

// RecordIngest stores one ingest's row in ingest_log.
func RecordIngest(ctx context.Context, conn driver.Conn, l IngestLog) error {
	err := conn.Exec(ctx, stmts.Get("insert_ingest_log"),
		clickhouse.Named("ingest_id", l.IngestID), clickhouse.Named("started_at", l.Started), clickhouse.Named("finished_at", l.Finished),
		clickhouse.Named("source", l.Source), clickhouse.Named("origin", l.Origin),
		clickhouse.Named("accepted", l.Accepted), clickhouse.Named("rejected", l.Rejected), clickhouse.Named("expired", l.Expired),
		clickhouse.Named("duplicates", l.Duplicates), clickhouse.Named("conflicts", l.Conflicts), clickhouse.Named("redactions", nonNilCounts(l.Redactions)),
		clickhouse.Named("violations", nonNilCounts(l.Violations)))
	if err != nil {
		return fmt.Errorf("events: record ingest_log: %w", err)
	}
	return nil
}

func nonNilCounts(m map[string]uint64) map[string]uint64 {
	if m == nil {
		return map[string]uint64{}
	}
	return m
}
