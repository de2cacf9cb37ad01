package events

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"slices"
	"time"
	"unsafe"
)

// notContent are the columns a re-send may change without changing what
// the event says: which ingest stored it, how this server keeps it, and
// the fingerprint itself.
var notContent = []string{"ingest_id", "storage_retention", "retention_days", "content_hash", "ingested_at"}

var contentCols = only(func(c column) bool { return c.insert && !slices.Contains(notContent, c.name) })

// ContentHash fingerprints what a row says: every column but those in
// notContent, as stored (after redaction, pricing and the contract check),
// in a form stable across processes and versions of Go (FNV-1a over each
// value, length-prefixed). Two sends of one event_id with equal hashes are
// duplicates; with different ones, a conflict. It is never 0.
func ContentHash(r *Row) uint64 {
	h := fnv.New64a()
	var buf []byte
	p := unsafe.Pointer(r)
	str := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	for _, c := range contentCols {
		f := unsafe.Add(p, c.off)
		switch c.typ {
		case tString:
			str(*(*string)(f))
		case tFloat:
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(*(*float64)(f)))
		case tUint64:
			buf = binary.LittleEndian.AppendUint64(buf, *(*uint64)(f))
		case tUint32:
			buf = binary.LittleEndian.AppendUint32(buf, *(*uint32)(f))
		case tUint16:
			buf = binary.LittleEndian.AppendUint16(buf, *(*uint16)(f))
		case tBool:
			if *(*bool)(f) {
				buf = append(buf, 1)
			} else {
				buf = append(buf, 0)
			}
		case tTime:
			// At the column's precision, so a row restored from the store
			// or an export hashes as it did when it was first sent.
			t := *(*time.Time)(f)
			v := t.UnixMicro()
			if c.name == "expires_at" { // DateTime64(3)
				v = t.UnixMilli()
			}
			buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
		case tStrings:
			l := *(*[]string)(f)
			buf = binary.AppendUvarint(buf, uint64(len(l)))
			for _, s := range l {
				str(s)
			}
		case tCounts:
			m := *(*map[string]uint32)(f)
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			buf = binary.AppendUvarint(buf, uint64(len(keys)))
			for _, k := range keys {
				str(k)
				buf = binary.LittleEndian.AppendUint32(buf, m[k])
			}
		}
	}
	h.Write(buf)
	if v := h.Sum64(); v != 0 {
		return v
	}
	return 1
}
