package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// ErrCorrupt is wrapped by every error about a file's bytes: not Parquet,
// truncated, or inconsistent. Errors about a readable file of the wrong
// shape wrap ErrNotEvents.
var (
	ErrCorrupt   = errors.New("parquet: corrupt or not a Parquet file")
	ErrNotEvents = errors.New("parquet: not a file of evalhouse events")
)

// requiredColumns must be in a file for its rows to be events: without
// them every row would be rejected, so the file is refused as a whole.
var requiredColumns = []string{"kind", "ts", "event_id"}

// Reader reads Records from a Parquet file. It is not safe for concurrent use.
type Reader struct {
	f    *parquet.File
	r    *parquet.GenericReader[Record]
	rows []parquet.Row
}

// leaf is what a value of one of Record's columns may be. (Definition
// levels are not checked: the library fills columns a file lacks with
// values whose level exceeds a required column's, harmlessly.)
type leaf struct {
	name   string
	kind   parquet.Kind
	maxRep int
}

// leaves are Record's columns by column index.
var leaves = func() []leaf {
	cols := Schema.Columns()
	out := make([]leaf, len(cols))
	for _, path := range cols {
		c, _ := Schema.Lookup(path...)
		out[c.ColumnIndex] = leaf{strings.Join(path, "."), c.Node.Type().Kind(), c.MaxRepetitionLevel}
	}
	return out
}()

// NewReader opens the Parquet file in r, size bytes long. The file's
// columns are matched to Record's by name: columns it lacks read as
// empty strings, zeros and empty lists, and columns Record lacks are
// ignored; but it must have kind, ts and event_id, and a column of another
// physical type or repetition than Record's is an error.
// Nothing in r, however malformed, makes NewReader or Read panic.
func NewReader(r io.ReaderAt, size int64) (rd *Reader, err error) {
	defer recoverAs(&err)
	if err := checkFooter(r, size); err != nil {
		return nil, err
	}
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := checkChunks(f, size); err != nil {
		return nil, err
	}
	if err := checkColumns(f.Schema()); err != nil {
		return nil, err
	}
	return &Reader{f: f, r: parquet.NewGenericReader[Record](f)}, nil
}

// NumRows is how many rows the file says it holds.
func (rd *Reader) NumRows() int64 { return rd.f.NumRows() }

// Metadata returns the value of key in the file's key/value metadata.
func (rd *Reader) Metadata(key string) (string, bool) { return rd.f.Lookup(key) }

// Read reads up to len(recs) records into recs, overwriting them whole, and
// returns how many it read; io.EOF after the last. Their strings, slices
// and maps are their own: a later Read, even into the same recs, never
// writes to them.
//
// Every value is checked against its column before it is assigned: a
// corrupt page can make the Parquet library hand over a value of another
// column or type, which assigned unchecked would read arbitrary memory.
func (rd *Reader) Read(recs []Record) (n int, err error) {
	defer recoverAs(&err)
	clear(recs)
	if cap(rd.rows) < len(recs) {
		rd.rows = make([]parquet.Row, len(recs))
	}
	rows := rd.rows[:len(recs)]
	n, err = rd.r.ReadRows(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	for i, row := range rows[:n] {
		if cerr := checkRow(row); cerr != nil {
			return i, cerr
		}
		if rerr := Schema.Reconstruct(&recs[i], row); rerr != nil {
			return i, fmt.Errorf("%w: %v", ErrCorrupt, rerr)
		}
	}
	return n, err
}

// checkRow makes sure row holds every column of Record in order, each
// once (or, for a list or map, once per element), with values of the
// column's type.
func checkRow(row parquet.Row) error {
	next := 0
	for _, v := range row {
		c := v.Column()
		switch {
		case c == next && c < len(leaves):
			next++
		case c == next-1 && c >= 0 && leaves[c].maxRep > 0 && v.RepetitionLevel() > 0:
		default:
			return fmt.Errorf("%w: row does not hold column %q in order", ErrCorrupt, leaves[min(next, len(leaves)-1)].name)
		}
		l := leaves[c]
		if v.RepetitionLevel() > l.maxRep || (!v.IsNull() && v.Kind() != l.kind) {
			return fmt.Errorf("%w: column %q: a value does not fit the column", ErrCorrupt, l.name)
		}
	}
	if next != len(leaves) {
		return fmt.Errorf("%w: row lacks column %q", ErrCorrupt, leaves[next].name)
	}
	return nil
}

// Close releases the reader.
func (rd *Reader) Close() error { return rd.r.Close() }

// checkColumns refuses a file schema that lacks a required column or has
// one of Record's columns with another physical type or repetition.
func checkColumns(file *parquet.Schema) error {
	for _, col := range requiredColumns {
		if _, ok := file.Lookup(col); !ok {
			return fmt.Errorf("%w: no %q column", ErrNotEvents, col)
		}
	}
	for _, path := range Schema.Columns() {
		got, ok := file.Lookup(path...)
		if !ok {
			continue
		}
		want, _ := Schema.Lookup(path...)
		if got.Node.Type().Kind() != want.Node.Type().Kind() || got.MaxRepetitionLevel != want.MaxRepetitionLevel {
			return fmt.Errorf("%w: column %q is %s, want %s", ErrNotEvents, strings.Join(path, "."), describe(got), describe(want))
		}
	}
	if _, err := parquet.Convert(Schema, file); err != nil {
		return fmt.Errorf("%w: columns do not convert to agent_events: %v", ErrNotEvents, err)
	}
	return nil
}

func describe(c parquet.LeafColumn) string {
	if c.MaxRepetitionLevel > 0 {
		return "repeated " + c.Node.Type().Kind().String()
	}
	return c.Node.Type().Kind().String()
}

// checkFooter refuses files whose footer length cannot be right before the
// Parquet library allocates a buffer of that length.
func checkFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("%w: %d bytes, shorter than any Parquet file", ErrCorrupt, size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("%w: read footer: %v", ErrCorrupt, err)
	}
	if string(tail[4:]) != "PAR1" {
		return fmt.Errorf("%w: no PAR1 magic at the end", ErrCorrupt)
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("%w: footer of %d bytes in a file of %d", ErrCorrupt, n, size)
	}
	return nil
}

// checkChunks refuses column chunks that lie outside the file, so that no
// declared size makes the reader allocate beyond what the file can hold.
func checkChunks(f *parquet.File, size int64) error {
	for i, rg := range f.Metadata().RowGroups {
		if rg.NumRows < 0 {
			return fmt.Errorf("%w: row group %d: negative row count", ErrCorrupt, i)
		}
		for _, cc := range rg.Columns {
			md := &cc.MetaData
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
				start = md.DictionaryPageOffset
			}
			if start < 4 || md.TotalCompressedSize < 0 || start > size || md.TotalCompressedSize > size-start {
				return fmt.Errorf("%w: row group %d: column chunk outside the file", ErrCorrupt, i)
			}
		}
	}
	return nil
}

// recoverAs turns a panic in the Parquet library, which some malformed
// files still provoke, into an ErrCorrupt error. Only decoding code runs
// under it.
func recoverAs(err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("%w: decoder failed: %v", ErrCorrupt, v)
	}
}
