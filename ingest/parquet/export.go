package parquet

import (
	"context"
	"fmt"
	"io"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/parquet-go/parquet-go"

	"github.com/evalhouse/evalhouse/events"
)

// Columns are the agent_events columns a file holds, in Record order.
var Columns = events.Columns

// Filter selects the rows Export writes. The zero Filter selects every row.
type Filter = events.Filter

// ExportOptions tune Export. The zero value is usable.
type ExportOptions struct {
	// PageRows is how many rows one query reads; 0 means 32,768. Memory
	// use grows with it and with RowGroupRows.
	PageRows int
	// Progress, when set, is called after each page with the rows written so far.
	Progress func(rows int64)
	// Metadata is added to the file's key/value metadata.
	Metadata map[string]string
}

// Count returns how many rows Export would write for f.
func Count(ctx context.Context, conn driver.Conn, f Filter) (uint64, error) {
	n, err := events.Count(ctx, conn, f)
	if err != nil {
		return 0, fmt.Errorf("parquet: %w", err)
	}
	return n, nil
}

// Export writes the agent_events rows f selects to w as one Parquet file
// (schema Record, zstd, row groups of RowGroupRows) in the order tenant,
// environment, ts, event_id, and returns how many rows it wrote. Rows are
// read as the table's FINAL view (one per key, however far merges have
// got) a page at a time, each page continuing after the last row of the
// one before, so memory stays bounded whatever the table's size. The file
// is complete only when Export returns nil.
func Export(ctx context.Context, conn driver.Conn, f Filter, w io.Writer, opts ExportOptions) (int64, error) {
	if opts.PageRows <= 0 {
		opts.PageRows = 32 << 10
	}
	wopts := writerOptions()
	for k, v := range opts.Metadata {
		wopts = append(wopts, parquet.KeyValueMetadata(k, v))
	}
	pw := parquet.NewGenericWriter[Record](w, wopts...)
	var (
		rows  = make([]events.Row, 0, opts.PageRows)
		page  = make([]Record, 0, opts.PageRows)
		after *events.Row
		total int64
		err   error
	)
	for {
		if rows, err = events.Page(ctx, conn, f, after, opts.PageRows, rows); err != nil {
			return total, fmt.Errorf("parquet: %w", err)
		}
		page = page[:0]
		for i := range rows {
			page = append(page, Record(rows[i]))
		}
		if _, err := pw.Write(page); err != nil {
			return total, fmt.Errorf("parquet: write: %w", err)
		}
		total += int64(len(page))
		if opts.Progress != nil {
			opts.Progress(total)
		}
		if len(rows) < opts.PageRows {
			break
		}
		last := rows[len(rows)-1]
		after = &last
	}
	if err := pw.Close(); err != nil {
		return total, fmt.Errorf("parquet: write: %w", err)
	}
	return total, nil
}

// writerOptions are the options every file is written with.
func writerOptions() []parquet.WriterOption {
	return []parquet.WriterOption{
		parquet.Compression(&parquet.Zstd),
		parquet.MaxRowsPerRowGroup(RowGroupRows),
		parquet.KeyValueMetadata(MetaSchema, SchemaVersion),
	}
}

// NewWriter returns a writer of Records to w with the options Export
// uses, for tools and tests that build event files themselves.
func NewWriter(w io.Writer) *parquet.GenericWriter[Record] {
	return parquet.NewGenericWriter[Record](w, writerOptions()...)
}
