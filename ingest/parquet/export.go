package parquet

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/parquet-go/parquet-go"

	"github.com/evalhouse/evalhouse/ingest"
)

// Columns are the agent_events columns a file holds, in Record order:
// ingest.EventColumns, then ingested_at.
var Columns = slices.Concat(ingest.EventColumns, []string{"ingested_at"})

// Filter selects the rows Export writes. The zero Filter selects every row.
type Filter struct {
	// Since and Until bound ts: Since <= ts < Until. Zero means unbounded.
	Since, Until time.Time
	// Tenant, Environment and Release, when not "", must equal the row's.
	Tenant, Environment, Release string
}

// where renders f as SQL conditions joined by AND ("1" for none) and their
// bound values. Times are bound as microseconds, the precision of ts.
func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	if !f.Since.IsZero() {
		conds = append(conds, "ts >= fromUnixTimestamp64Micro(?, 'UTC')")
		args = append(args, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		conds = append(conds, "ts < fromUnixTimestamp64Micro(?, 'UTC')")
		args = append(args, f.Until.UnixMicro())
	}
	for _, c := range []struct{ col, v string }{{"tenant", f.Tenant}, {"environment", f.Environment}, {"release", f.Release}} {
		if c.v != "" {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if len(conds) == 0 {
		return "1", nil
	}
	return strings.Join(conds, " AND "), args
}

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
	cond, args := f.where()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM agent_events FINAL WHERE "+cond, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("parquet: count rows: %w", err)
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
	cond, args := f.where()
	base := "SELECT " + strings.Join(Columns, ", ") + " FROM agent_events FINAL WHERE " + cond
	const order = " ORDER BY tenant, environment, ts, event_id LIMIT ?"
	page := make([]Record, 0, opts.PageRows)
	var total int64
	for {
		q, qargs := base+order, append(slices.Clip(args), opts.PageRows)
		if len(page) > 0 {
			last := &page[len(page)-1]
			q = base + " AND (tenant, environment, ts, event_id) > (?, ?, fromUnixTimestamp64Micro(?, 'UTC'), ?)" + order
			qargs = append(slices.Clip(args), last.Tenant, last.Environment, last.TS.UnixMicro(), last.EventID, opts.PageRows)
		}
		var err error
		if page, err = readPage(ctx, conn, q, qargs, page[:0]); err != nil {
			return total, err
		}
		if _, err := pw.Write(page); err != nil {
			return total, fmt.Errorf("parquet: write: %w", err)
		}
		total += int64(len(page))
		if opts.Progress != nil {
			opts.Progress(total)
		}
		if len(page) < opts.PageRows {
			break
		}
	}
	if err := pw.Close(); err != nil {
		return total, fmt.Errorf("parquet: write: %w", err)
	}
	return total, nil
}

// readPage appends the rows of one page query to page.
func readPage(ctx context.Context, conn driver.Conn, q string, args []any, page []Record) ([]Record, error) {
	rows, err := conn.Query(ctx, q, args...)
	if err != nil {
		return page, fmt.Errorf("parquet: read agent_events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		page = append(page, Record{})
		if err := rows.Scan(page[len(page)-1].dest()...); err != nil {
			return page, fmt.Errorf("parquet: read agent_events: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("parquet: read agent_events: %w", err)
	}
	return page, ctx.Err()
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

// dest returns pointers to rec's fields in Columns order, for Scan.
func (rec *Record) dest() []any {
	return []any{
		&rec.Tenant, &rec.Environment, &rec.TS, &rec.Kind, &rec.EventID, &rec.TraceID, &rec.SpanID, &rec.ParentSpanID, &rec.RunID,
		&rec.Release, &rec.DurationMS, &rec.Status, &rec.Dataset, &rec.CaseID,
		&rec.Actor, &rec.Task, &rec.Input, &rec.Output, &rec.StopReason,
		&rec.Model, &rec.PromptVersion, &rec.InputRef, &rec.OutputStatus, &rec.InputTokens, &rec.OutputTokens, &rec.CostUSD, &rec.CostSource, &rec.LatencyMS,
		&rec.Tool, &rec.Args, &rec.Authorization, &rec.RetryCount, &rec.IdempotencyKey, &rec.SideEffect,
		&rec.SourceIDs, &rec.FreshnessStale, &rec.FreshnessAgeS, &rec.AccessDecision, &rec.CitationRequired,
		&rec.Op, &rec.ReadIDs, &rec.WriteIDs, &rec.RetentionClass, &rec.PolicyBasis,
		&rec.PolicyVersion, &rec.Decision, &rec.ReasonCode, &rec.Enforcement,
		&rec.ApproverRole, &rec.Action, &rec.ExpiresAt, &rec.Result,
		&rec.Evaluator, &rec.EvaluatorVersion, &rec.Score, &rec.Threshold, &rec.Passed,
		&rec.Attributes,
		&rec.ContractViolations, &rec.Redactions, &rec.RedactionCounts, &rec.Source, &rec.StorageRetention, &rec.RetentionDays, &rec.IngestID,
		&rec.IngestedAt,
	}
}
