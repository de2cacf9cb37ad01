package events

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Filter selects rows to page through (an export). The zero Filter
// selects every row.
type Filter struct {
	// Since and Until bound ts: Since <= ts < Until. Zero means unbounded.
	Since, Until time.Time
	// Tenant, Environment and Release, when not "", must equal the row's.
	Tenant, Environment, Release string
}

type filterData struct {
	Filter
	Columns                      string
	HasSince, HasUntil, HasAfter bool
}

func (f Filter) args() []any {
	return []any{clickhouse.Named("since", f.Since.UnixMicro()), clickhouse.Named("until", f.Until.UnixMicro()),
		clickhouse.Named("tenant", f.Tenant), clickhouse.Named("environment", f.Environment), clickhouse.Named("release", f.Release)}
}

func (f Filter) data() filterData {
	return filterData{Filter: f, Columns: strings.Join(Columns, ", "), HasSince: !f.Since.IsZero(), HasUntil: !f.Until.IsZero()}
}

// Count returns how many rows f selects, read exactly (FINAL).
func Count(ctx context.Context, conn driver.Conn, f Filter) (uint64, error) {
	var n uint64
	if err := conn.QueryRow(ctx, stmts.Render("filter_count", f.data()), f.args()...).Scan(&n); err != nil {
		return 0, fmt.Errorf("events: count rows: %w", err)
	}
	return n, nil
}

var allScan = scanOf(Columns...)

// Page appends to page (from its length 0) at most limit of the rows f
// selects, with every column, in the order tenant, environment, ts,
// event_id, starting after the row after (nil: from the first). Rows are
// the table's FINAL view: one per key, however far merges have got.
func Page(ctx context.Context, conn driver.Conn, f Filter, after *Row, limit int, page []Row) ([]Row, error) {
	d := f.data()
	args := append(f.args(), clickhouse.Named("limit", limit))
	if after != nil {
		d.HasAfter = true
		args = append(args, clickhouse.Named("after_tenant", after.Tenant), clickhouse.Named("after_environment", after.Environment),
			clickhouse.Named("after_ts", after.TS.UnixMicro()), clickhouse.Named("after_event_id", after.EventID))
	}
	rows, err := conn.Query(ctx, stmts.Render("page", d), args...)
	if err != nil {
		return page, fmt.Errorf("events: read agent_events: %w", err)
	}
	defer rows.Close()
	page = page[:0]
	var buf []any
	for rows.Next() {
		page = append(page, Row{})
		buf = allScan.dest(&page[len(page)-1], buf)
		if err := rows.Scan(buf...); err != nil {
			return page, fmt.Errorf("events: read agent_events: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("events: read agent_events: %w", err)
	}
	return page, ctx.Err()
}
