// Package parquet moves agent events between the store and Apache Parquet
// files: Export streams agent_events rows into a file, and Read feeds a
// file's rows back through the ingest pipeline (see docs/parquet.md).
//
// A file holds one row per event with every agent_events column, named as
// in the table, so a file exported from one store and read into another
// reproduces the rows: the pipeline redacts them again (a no-op on rows
// that were redacted when first ingested) and deduplicates them, but keeps
// what their first ingest recorded.
package parquet

import (
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/evalhouse/evalhouse/events"
)

// SchemaVersion names the layout of Record; files carry it in their
// key/value metadata under MetaSchema.
const SchemaVersion = "evalhouse.agent_events/v1"

// MetaSchema is the key/value metadata key holding SchemaVersion.
const MetaSchema = "evalhouse.schema"

// RowGroupRows is how many rows a row group holds at most.
const RowGroupRows = 64 << 10

// Record is one agent_events row as a Parquet row: the stored row itself
// (events.Row declares its columns and their Parquet encoding), so a file
// holds every column, named as in the table. Low-cardinality strings are
// dictionary-encoded, timestamps delta-encoded, and every column is
// zstd-compressed (see writerOptions). Columns are required, not optional:
// the table has empty and zero defaults, not NULLs.
type Record events.Row

// Schema is the Parquet schema of Record.
var Schema = parquet.SchemaOf(new(Record))

// FromRow maps a stored row and its ingested_at to a Record. It is pure.
func FromRow(r *events.Row, ingestedAt time.Time) Record {
	rec := Record(*r)
	rec.TS, rec.ExpiresAt, rec.IngestedAt = utc(r.TS), utc(r.ExpiresAt), utc(ingestedAt)
	return rec
}

// Row maps a Record back to the row it came from (ingested_at aside: the
// store sets it when the row lands). It is pure. A ts at or before the Unix
// epoch (what a file without ts reads as) becomes the zero time, for the
// pipeline to reject; an expires_at there becomes the epoch, the table's
// "none".
func (rec *Record) Row() events.Row {
	r := events.Row(*rec)
	r.TS, r.ExpiresAt, r.IngestedAt = time.Time{}, epoch, time.Time{}
	if rec.TS.After(epoch) {
		r.TS = rec.TS.UTC()
	}
	if rec.ExpiresAt.After(epoch) {
		r.ExpiresAt = rec.ExpiresAt.UTC()
	}
	return r
}

// epoch stands for "no time" in the table (expires_at of events that have
// none) and in files.
var epoch = time.Unix(0, 0).UTC()

// utc returns t in UTC, and the zero time as the epoch.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return epoch
	}
	return t.UTC()
}
