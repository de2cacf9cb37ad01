package envelope

import (
	"fmt"
	"strings"
	"sync"

	"github.com/evalhouse/evalhouse/datasets/dsref"
)

// DecodeError is the error Decode returns. Its message names the field and
// the expected and actual JSON types, or a byte offset for malformed JSON;
// it never contains a value from the input, since values can hold secrets.
type DecodeError struct {
	Field  string // top-level field name; "" for problems with the line as a whole
	Offset int    // byte offset of malformed JSON; -1 when not a syntax problem
	Msg    string // what is wrong, e.g. "want integer, got string"
}

// Error renders e as `envelope: field "<field>": <msg> at byte <offset>`,
// leaving out the parts that do not apply.
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("envelope: ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Msg)
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " at byte %d", e.Offset)
	}
	return b.String()
}

// attrPrefix prefixes an unknown top-level field's name when Attributes
// already holds that name.
const attrPrefix = "_envelope."

type member struct {
	key string
	val any
}

// scratch holds a scanner's stacks between Decode calls.
type scratch struct {
	members []member
	elems   []any
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// put returns the scanner's stacks to the pool, dropping their references
// (an error can leave entries behind) and any stack a huge line grew.
func (sc *scratch) put(s *scanner) {
	clear(s.members)
	clear(s.elems)
	sc.members, sc.elems = s.members[:0], s.elems[:0]
	if cap(sc.members) > 1024 {
		sc.members = nil
	}
	if cap(sc.elems) > 1024 {
		sc.elems = nil
	}
	scratchPool.Put(sc)
}

// Decode parses one envelope line: a single JSON object, optionally
// surrounded by whitespace. It is strict:
//
//   - kind must be one of Kinds and ts an RFC 3339 timestamp; both are
//     required. ts and expires_at are normalized to UTC.
//   - every known field must have its JSON type (integer fields accept
//     whole numbers such as 12.0; number fields accept integers); null
//     counts as absent for every field.
//   - dataset, when present, must be a dataset version, "name@vN" (see ValidDataset).
//   - a top-level field may appear only once.
//
// Unknown top-level fields are moved into Attributes under their own name,
// or under "_envelope.<name>" when Attributes already has that key (the
// prefix repeats until the key is free, up to 8 times; beyond that the line
// is rejected rather than anything dropped). Free-form values (input, output,
// args, attributes and unknown fields) decode like encoding/json into
// any: numbers become float64, objects map[string]any, arrays []any.
//
// When event_id is absent or empty, Decode sets it to DeriveID of the
// decoded event, so the id always reflects the event as sent.
//
// Errors are *DecodeError. They name fields (unknown ones too, when they
// repeat) and JSON types, never input values.
func Decode(line []byte) (*Event, error) {
	sc := scratchPool.Get().(*scratch)
	s := scanner{b: line, members: sc.members[:0], elems: sc.elems[:0]}
	defer sc.put(&s)
	s.skipWS()
	switch c := s.peek(); {
	case s.i == len(s.b):
		return nil, &DecodeError{Offset: -1, Msg: "empty line, want a JSON object"}
	case c != '{':
		if t := jsonType(c); t != "" {
			return nil, &DecodeError{Offset: -1, Msg: "want a JSON object, got " + t}
		}
		return nil, s.syntaxErr()
	}
	s.i++
	s.skipWS()
	ev := new(Event)
	var seen uint64
	var extra []member
	var extraSeen dupSet
	if s.peek() == '}' {
		s.i++
	} else {
		for {
			if s.peek() != '"' {
				return nil, s.syntaxErr()
			}
			start := s.i
			raw, plain, err := s.scanString()
			if err != nil {
				return nil, err
			}
			var spec *fieldSpec
			var key string
			if plain {
				spec = fields[string(raw)]
			} else {
				key = unquote(s.b[start:s.i])
				spec = fields[key]
			}
			if err := s.expect(':'); err != nil {
				return nil, err
			}
			if spec != nil {
				if seen&spec.bit != 0 {
					return nil, &DecodeError{Field: spec.name, Offset: -1, Msg: "appears more than once"}
				}
				seen |= spec.bit
				if err := s.field(ev, spec); err != nil {
					if err.Field == "" {
						err.Field = spec.name
					}
					return nil, err
				}
			} else {
				if plain {
					key = string(raw)
				}
				if extraSeen.has(extra, key) {
					return nil, &DecodeError{Field: key, Offset: -1, Msg: "appears more than once"}
				}
				v, err := s.value(1)
				if err != nil {
					err.Field = key
					return nil, err
				}
				extra = append(extra, member{key, v})
			}
			s.skipWS()
			if s.peek() == ',' {
				s.i++
				s.skipWS()
				continue
			}
			if s.peek() == '}' {
				s.i++
				break
			}
			return nil, s.syntaxErr()
		}
	}
	s.skipWS()
	if s.i != len(s.b) {
		return nil, &DecodeError{Offset: s.i, Msg: "unexpected data after the object"}
	}
	if ev.Kind == "" {
		return nil, &DecodeError{Field: "kind", Offset: -1, Msg: "missing, want one of " + kindList}
	}
	if ev.TS.IsZero() {
		return nil, &DecodeError{Field: "ts", Offset: -1, Msg: "missing, want " + want[tTime]}
	}
	if len(extra) > 0 {
		attrs, err := mergeAttributes(ev.Attributes, extra)
		if err != nil {
			return nil, err
		}
		ev.Attributes = attrs
	}
	if ev.EventID == "" {
		ev.EventID = DeriveID(ev)
	}
	return ev, nil
}

// maxPrefix bounds how often mergeAttributes prepends attrPrefix, so a
// hostile line cannot make it build ever longer keys.
const maxPrefix = 8

// mergeAttributes adds the unknown fields to attrs. A field whose name is
// free keeps it; the others (names attrs already had) then take
// "_envelope."+name, the prefix repeated until the key is free, at most
// maxPrefix times.
func mergeAttributes(attrs map[string]any, extra []member) (map[string]any, *DecodeError) {
	if attrs == nil {
		attrs = make(map[string]any, len(extra))
	}
	var moved []member
	for _, m := range extra {
		if _, taken := attrs[m.key]; taken {
			moved = append(moved, m)
		}
	}
	for _, m := range extra {
		if _, taken := attrs[m.key]; !taken {
			attrs[m.key] = m.val
		}
	}
next:
	for _, m := range moved {
		k := m.key
		for range maxPrefix {
			k = attrPrefix + k
			if _, taken := attrs[k]; !taken {
				attrs[k] = m.val
				continue next
			}
		}
		return nil, &DecodeError{Field: m.key, Offset: -1, Msg: "unknown field collides with attributes under every _envelope. prefix"}
	}
	return attrs, nil
}

// dupSet finds repeated unknown fields: a linear scan while there are
// few, a map once there are many, so hostile lines stay linear.
type dupSet struct{ m map[string]struct{} }

// has reports whether key is among extra and records it for the next call;
// the caller appends key to extra when has returns false.
func (d *dupSet) has(extra []member, key string) bool {
	if d.m == nil && len(extra) < 16 {
		for _, m := range extra {
			if m.key == key {
				return true
			}
		}
		return false
	}
	if d.m == nil {
		d.m = make(map[string]struct{}, 2*len(extra))
		for _, m := range extra {
			d.m[m.key] = struct{}{}
		}
	}
	if _, ok := d.m[key]; ok {
		return true
	}
	d.m[key] = struct{}{}
	return false
}

var kindList = func() string {
	var b strings.Builder
	for i, k := range Kinds {
		if i > 0 {
			b.WriteString("|")
		}
		b.WriteString(string(k))
	}
	return b.String()
}()

// ValidKind reports whether k is one of Kinds.
func ValidKind(k Kind) bool {
	switch k {
	case KindRun, KindModel, KindTool, KindRetrieval, KindMemory, KindPolicy, KindApproval, KindEval:
		return true
	}
	return false
}

// ValidDataset reports whether s is the reference of one dataset version,
// NAME@vN, in the grammar every dataset reader shares (dsref.ParsePinned):
// a dataset name (lower-case letters, digits, '.', '_', '-', starting with
// a letter or digit, up to 100 bytes), "@v" and a version from 1 without
// leading zeros. An event whose dataset is accepted here is one the
// datasets store and the gate can resolve.
func ValidDataset(s string) bool {
	_, err := dsref.ParsePinned(s)
	return err == nil
}
