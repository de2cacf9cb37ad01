package events

import (
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/evalhouse/evalhouse/ingest/envelope"
)

// column is one agent_events column: where its value sits in a Row.
type column struct {
	name   string
	off    uintptr
	typ    reflect.Type
	insert bool // false for columns the table fills (ingested_at)
}

var (
	allColumns = describe()
	insertCols = only(func(c column) bool { return c.insert })

	// Columns are every agent_events column, in Row order.
	Columns = names(allColumns)
	// InsertColumns are the columns an insert sends: all of them but those
	// the table fills itself.
	InsertColumns = names(insertCols)
)

func only(keep func(column) bool) []column {
	var out []column
	for _, c := range allColumns {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

func names(cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

var (
	tString  = reflect.TypeFor[string]()
	tKind    = reflect.TypeFor[envelope.Kind]()
	tFloat   = reflect.TypeFor[float64]()
	tUint64  = reflect.TypeFor[uint64]()
	tUint32  = reflect.TypeFor[uint32]()
	tUint16  = reflect.TypeFor[uint16]()
	tBool    = reflect.TypeFor[bool]()
	tTime    = reflect.TypeFor[time.Time]()
	tStrings = reflect.TypeFor[[]string]()
	tCounts  = reflect.TypeFor[map[string]uint32]()
)

// describe reads the columns from Row's tags. A field of a type the
// gather and scan switches below do not know is a build error, caught at
// start-up by every test of this package.
func describe() []column {
	rt := reflect.TypeFor[Row]()
	out := make([]column, 0, rt.NumField())
	for i := range rt.NumField() {
		f := rt.Field(i)
		name := f.Tag.Get("ch")
		if name == "" {
			panic("events: Row." + f.Name + " has no ch tag")
		}
		typ := f.Type
		if typ == tKind {
			typ = tString // stored as its text
		}
		switch typ {
		case tString, tFloat, tUint64, tUint32, tUint16, tBool, tTime, tStrings, tCounts:
		default:
			panic(fmt.Sprintf("events: Row.%s: no column mapping for %s", f.Name, f.Type))
		}
		out = append(out, column{name: name, off: f.Offset, typ: typ, insert: f.Tag.Get("insert") != "-"})
	}
	return out
}

// insertValues returns rows' values column by column, in InsertColumns
// order, typed as clickhouse-go appends whole columns (far cheaper than
// appending row by row). Nil lists and maps are sent empty.
func insertValues(rows []*Row) []any {
	out := make([]any, len(insertCols))
	for i, c := range insertCols {
		switch c.typ {
		case tString:
			out[i] = gather[string](rows, c.off)
		case tFloat:
			out[i] = gather[float64](rows, c.off)
		case tUint64:
			out[i] = gather[uint64](rows, c.off)
		case tUint32:
			out[i] = gather[uint32](rows, c.off)
		case tUint16:
			out[i] = gather[uint16](rows, c.off)
		case tBool:
			out[i] = gather[bool](rows, c.off)
		case tTime:
			out[i] = gather[time.Time](rows, c.off)
		case tStrings:
			v := gather[[]string](rows, c.off)
			for j := range v {
				if v[j] == nil {
					v[j] = []string{}
				}
			}
			out[i] = v
		case tCounts:
			v := gather[map[string]uint32](rows, c.off)
			for j := range v {
				if v[j] == nil {
					v[j] = map[string]uint32{}
				}
			}
			out[i] = v
		}
	}
	return out
}

// gather reads the field at off of every row.
func gather[T any](rows []*Row, off uintptr) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = *(*T)(unsafe.Add(unsafe.Pointer(r), off))
	}
	return out
}

// scanner scans the named columns of a result row into a Row.
type scanner []column

// scanOf returns the scanner of cols, which must be columns of Row.
func scanOf(cols ...string) scanner {
	s := make(scanner, len(cols))
	for i, n := range cols {
		c := only(func(c column) bool { return c.name == n })
		if len(c) != 1 {
			panic("events: no column " + n)
		}
		s[i] = c[0]
	}
	return s
}

// dest returns pointers to r's fields in the scanner's column order.
func (s scanner) dest(r *Row, buf []any) []any {
	buf = buf[:0]
	p := unsafe.Pointer(r)
	for _, c := range s {
		f := unsafe.Add(p, c.off)
		switch c.typ {
		case tString:
			buf = append(buf, (*string)(f))
		case tFloat:
			buf = append(buf, (*float64)(f))
		case tUint64:
			buf = append(buf, (*uint64)(f))
		case tUint32:
			buf = append(buf, (*uint32)(f))
		case tUint16:
			buf = append(buf, (*uint16)(f))
		case tBool:
			buf = append(buf, (*bool)(f))
		case tTime:
			buf = append(buf, (*time.Time)(f))
		case tStrings:
			buf = append(buf, (*[]string)(f))
		case tCounts:
			buf = append(buf, (*map[string]uint32)(f))
		}
	}
	return buf
}

// names are the scanner's columns, for a SELECT list.
func (s scanner) names() []string { return names(s) }
