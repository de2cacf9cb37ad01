package parquet_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/evalhouse/evalhouse/events"
	"github.com/evalhouse/evalhouse/ingest/parquet"
)

func TestSchemaColumnsAreTheTables(t *testing.T) {
	var names []string
	for _, f := range parquet.Schema.Fields() {
		names = append(names, f.Name())
	}
	if strings.Join(names, ",") != strings.Join(parquet.Columns, ",") {
		t.Fatalf("Record's columns and the table's differ:\nrecord: %v\ntable:  %v", names, parquet.Columns)
	}
	// Every Row field has a Record field of the same name and type family.
	rt, rect := reflect.TypeFor[events.Row](), reflect.TypeFor[parquet.Record]()
	for i := range rt.NumField() {
		f := rt.Field(i)
		g, ok := rect.FieldByName(f.Name)
		if !ok || g.Type != f.Type {
			t.Errorf("Row.%s (%v) has no Record field of that type", f.Name, f.Type)
		}
	}
	if rect.NumField() != rt.NumField() {
		t.Errorf("Record has %d fields, want Row's %d", rect.NumField(), rt.NumField())
	}
}

func TestRecordRoundTripsEveryField(t *testing.T) {
	rows := []events.Row{fullRow(1), fullRow(2)}
	rows[1].SourceIDs, rows[1].RedactionCounts, rows[1].ContractViolations = nil, nil, nil
	at := time.Date(2026, 11, 21, 10, 0, 0, 123e6, time.UTC)
	recs := make([]parquet.Record, len(rows))
	for i := range rows {
		recs[i] = parquet.FromRow(&rows[i], at)
	}
	data := writeRecords(t, recs)
	rd, err := parquet.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := rd.Metadata(parquet.MetaSchema); v != parquet.SchemaVersion {
		t.Errorf("metadata %s = %q", parquet.MetaSchema, v)
	}
	got := make([]parquet.Record, 5)
	n, err := rd.Read(got)
	if n != 2 || (err != nil && !errors.Is(err, io.EOF)) {
		t.Fatalf("read %d, %v", n, err)
	}
	for i := range rows {
		if !got[i].IngestedAt.Equal(at) {
			t.Errorf("row %d: ingested_at %v, want %v", i, got[i].IngestedAt, at)
		}
		back := got[i].Row()
		want := rows[i]
		// Absent lists and maps read back empty: the table cannot tell them apart.
		norm := func(r *events.Row) {
			for _, s := range []*[]string{&r.SourceIDs, &r.ReadIDs, &r.WriteIDs, &r.ContractViolations} {
				if len(*s) == 0 {
					*s = nil
				}
			}
			if len(r.RedactionCounts) == 0 {
				r.RedactionCounts = nil
			}
		}
		norm(&back)
		norm(&want)
		if !reflect.DeepEqual(back, want) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, back, want)
		}
	}
}

func TestMissingTimestampReadsAsZero(t *testing.T) {
	rec := parquet.Record{Kind: "run", EventID: "e"} // ts never set
	data := writeRecords(t, []parquet.Record{rec})
	rd, err := parquet.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]parquet.Record, 1)
	if _, err := rd.Read(got); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if r := got[0].Row(); !r.TS.IsZero() || !r.ExpiresAt.Equal(time.Unix(0, 0)) {
		t.Fatalf("ts %v expires_at %v", r.TS, r.ExpiresAt)
	}
}

func TestNewReaderRefusesWhatIsNotEvents(t *testing.T) {
	other := func(v any) []byte {
		var buf bytes.Buffer
		w := pq.NewWriter(&buf, pq.SchemaOf(v))
		if err := w.Write(v); err != nil {
			t.Fatal(err)
		}
		w.Close()
		return buf.Bytes()
	}
	type noKind struct {
		TS      int64  `parquet:"ts"`
		EventID string `parquet:"event_id"`
	}
	type intKind struct {
		Kind    []int64 `parquet:"kind"`
		TS      int64   `parquet:"ts"`
		EventID string  `parquet:"event_id"`
	}
	good := writeRecords(t, []parquet.Record{parquet.FromRow(ptr(fullRow(1)), time.Now())})
	for _, c := range []struct {
		name string
		data []byte
		is   error
		msg  string
	}{
		{"empty", nil, parquet.ErrCorrupt, "shorter than any Parquet file"},
		{"ndjson", []byte(`{"kind":"run","ts":"2026-11-20T09:00:00Z"}` + "\n"), parquet.ErrCorrupt, "no PAR1 magic"},
		{"huge footer", append([]byte("PAR1xxxxxxxx"), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'), parquet.ErrCorrupt, "footer of"},
		{"truncated", good[:len(good)/2], parquet.ErrCorrupt, ""},
		{"other columns", other(&noKind{}), parquet.ErrNotEvents, `no "kind" column`},
		{"wrong type", other(&intKind{}), parquet.ErrNotEvents, `column "kind" is repeated INT64, want BYTE_ARRAY`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parquet.NewReader(bytes.NewReader(c.data), int64(len(c.data)))
			if !errors.Is(err, c.is) {
				t.Fatalf("error %v, want %v", err, c.is)
			}
			mustContain(t, err.Error(), c.msg)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestForeignFilesReadByName: a file from another tool, with optional
// columns, columns of its own and columns missing, reads by column name.
func TestForeignFilesReadByName(t *testing.T) {
	type foreign struct {
		Extra   string     `parquet:"extra_column"`
		EventID *string    `parquet:"event_id,optional"`
		Kind    *string    `parquet:"kind,optional"`
		TS      *time.Time `parquet:"ts,optional,timestamp(microsecond)"`
		Input   *string    `parquet:"input,optional"`
		Tokens  *uint64    `parquet:"input_tokens,optional"`
		IDs     []string   `parquet:"source_ids,list"`
	}
	ts := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	rows := []foreign{
		{Extra: "x", EventID: ptr("e1"), Kind: ptr("tool"), TS: &ts, Input: ptr("hi"), Tokens: ptr(uint64(7)), IDs: []string{"a", "b"}},
		{Extra: "y", EventID: ptr("e2")},
	}
	var buf bytes.Buffer
	w := pq.NewGenericWriter[foreign](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rd, err := parquet.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]parquet.Record, 3)
	n, err := rd.Read(got)
	if n != 2 || (err != nil && !errors.Is(err, io.EOF)) {
		t.Fatalf("read %d, %v", n, err)
	}
	a, b := got[0].Row(), got[1].Row()
	if a.EventID != "e1" || a.Kind != "tool" || !a.TS.Equal(ts) || a.Input != "hi" || a.InputTokens != 7 ||
		strings.Join(a.SourceIDs, ",") != "a,b" || a.Tenant != "" || !a.ExpiresAt.Equal(time.Unix(0, 0)) {
		t.Errorf("first row: %+v", a)
	}
	if b.EventID != "e2" || b.Kind != "" || !b.TS.IsZero() || b.Input != "" || len(b.SourceIDs) != 0 {
		t.Errorf("second row (NULLs): %+v", b)
	}
}
