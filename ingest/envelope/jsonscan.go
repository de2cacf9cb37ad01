package envelope

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// maxDepth bounds container nesting, like encoding/json's scanner.
const maxDepth = 10000

// scanner is a validating JSON reader over one line. It accepts exactly the
// RFC 8259 grammar that encoding/json accepts and decodes strings the same way
// (invalid UTF-8 and lone surrogates become U+FFFD). It reads values straight
// into their destination, so decoding an event is one pass over the input.
//
// Methods report problems as *DecodeError without a field name; Decode adds
// the field. No error ever carries bytes of the input.
type scanner struct {
	b []byte
	i int

	// Scratch stacks for the members of the objects and the elements of
	// the arrays being read, so each map and slice is allocated once at its
	// final size. Nested containers push above their parent's entries and
	// pop back before the parent resumes.
	members []member
	elems   []any
}

// special marks the bytes that end a plain run inside a string: the quote,
// the backslash, control characters and non-ASCII bytes.
var special = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf
	}
	return t
}()

func (s *scanner) skipWS() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the byte at the cursor, or 0 at the end of input.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) syntaxErr() *DecodeError {
	return &DecodeError{Offset: s.i, Msg: "invalid JSON"}
}

// jsonType names the JSON type of a value from its first byte; "" when no
// value can start with c.
func jsonType(c byte) string {
	switch c {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "number"
	}
	return ""
}

// literal consumes lit (true, false or null) at the cursor.
func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// expect skips whitespace, consumes c and the whitespace after it.
func (s *scanner) expect(c byte) *DecodeError {
	s.skipWS()
	if s.peek() != c {
		return s.syntaxErr()
	}
	s.i++
	s.skipWS()
	return nil
}

// scanString consumes the string at the cursor (which is '"'). raw is the
// content between the quotes; plain reports that raw is the decoded value
// as is (no escapes, valid UTF-8).
func (s *scanner) scanString() (raw []byte, plain bool, err *DecodeError) {
	start := s.i + 1
	plain = true
	ascii := true
	b := s.b
	for i := start; i < len(b); {
		for i < len(b) && !special[b[i]] {
			i++
		}
		if i == len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			s.i = i + 1
			raw = b[start:i]
			if !ascii && plain {
				plain = utf8.Valid(raw)
			}
			return raw, plain, nil
		case c == '\\':
			plain = false
			if i+1 >= len(b) {
				s.i = i
				return nil, false, s.syntaxErr()
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+5 >= len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					s.i = i
					return nil, false, s.syntaxErr()
				}
				i += 6
			default:
				s.i = i
				return nil, false, s.syntaxErr()
			}
		case c < 0x20:
			s.i = i
			return nil, false, s.syntaxErr()
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			i++
		}
	}
	s.i = len(b)
	return nil, false, s.syntaxErr()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// str consumes the string at the cursor and returns its decoded value.
func (s *scanner) str() (string, *DecodeError) {
	start := s.i
	raw, plain, err := s.scanString()
	if err != nil {
		return "", err
	}
	if plain {
		return string(raw), nil
	}
	return unquote(s.b[start:s.i]), nil
}

// unquote decodes a string literal that scanString accepted. It defers to
// encoding/json so escapes, surrogates and invalid UTF-8 decode exactly as
// they do there.
func unquote(quoted []byte) string {
	var v string
	if json.Unmarshal(quoted, &v) != nil {
		// Unreachable: scanString validated the literal.
		return string(utf8.RuneError)
	}
	return v
}

// scanNumber consumes the number at the cursor. integral reports that it has
// neither a fraction nor an exponent.
func (s *scanner) scanNumber() (raw []byte, integral bool, err *DecodeError) {
	b, i := s.b, s.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		s.i = i
		return nil, false, s.syntaxErr()
	}
	integral = true
	if i < len(b) && b[i] == '.' {
		integral = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return nil, false, s.syntaxErr()
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integral = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return nil, false, s.syntaxErr()
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	s.i = i
	return b[start:i], integral, nil
}

// smallInt parses an integral literal of at most 18 digits without
// strconv; ok is false for longer literals.
func smallInt(raw []byte) (n int64, ok bool) {
	neg := raw[0] == '-'
	if neg {
		raw = raw[1:]
	}
	if len(raw) > 18 {
		return 0, false
	}
	for _, c := range raw {
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// toFloat converts a scanned number; ok is false when it overflows float64.
// Underflow rounds to zero, as in encoding/json.
func toFloat(raw []byte, integral bool) (f float64, ok bool) {
	if integral {
		if n, small := smallInt(raw); small && n > -1<<53 && n < 1<<53 {
			return float64(n), true
		}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil && math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// toInt converts a scanned number to int64, accepting whole floats such
// as 12.0 or 1e3. problem names what is wrong when ok is false.
func toInt(raw []byte, integral bool) (n int64, problem string) {
	if integral {
		if n, ok := smallInt(raw); ok {
			return n, ""
		}
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return 0, "number out of integer range"
		}
		return n, ""
	}
	f, ok := toFloat(raw, false)
	switch {
	case !ok || f < -(1<<63) || f >= 1<<63:
		return 0, "number out of integer range"
	case f != math.Trunc(f):
		return 0, "fractional number"
	}
	return int64(f), ""
}

// value consumes any JSON value and returns it as nil, bool, float64,
// string, []any or map[string]any. Duplicate keys inside objects keep the
// last value, as in encoding/json.
func (s *scanner) value(depth int) (any, *DecodeError) {
	switch c := s.peek(); c {
	case '"':
		return s.str()
	case '{':
		return s.object(depth + 1)
	case '[':
		if depth+1 > maxDepth {
			return nil, &DecodeError{Offset: s.i, Msg: "nesting too deep"}
		}
		s.i++
		s.skipWS()
		if s.peek() == ']' {
			s.i++
			return []any{}, nil
		}
		base := len(s.elems)
		for {
			v, err := s.value(depth + 1)
			if err != nil {
				return nil, err
			}
			s.elems = append(s.elems, v)
			s.skipWS()
			switch s.peek() {
			case ',':
				s.i++
				s.skipWS()
			case ']':
				s.i++
				arr := make([]any, len(s.elems)-base)
				copy(arr, s.elems[base:])
				clear(s.elems[base:])
				s.elems = s.elems[:base]
				return arr, nil
			default:
				return nil, s.syntaxErr()
			}
		}
	case 't':
		if s.literal("true") {
			return true, nil
		}
	case 'f':
		if s.literal("false") {
			return false, nil
		}
	case 'n':
		if s.literal("null") {
			return nil, nil
		}
	default:
		if jsonType(c) == "number" {
			raw, integral, err := s.scanNumber()
			if err != nil {
				return nil, err
			}
			f, ok := toFloat(raw, integral)
			if !ok {
				return nil, &DecodeError{Offset: -1, Msg: "number out of range"}
			}
			return f, nil
		}
	}
	return nil, s.syntaxErr()
}

// object consumes the object at the cursor; depth counts it.
func (s *scanner) object(depth int) (map[string]any, *DecodeError) {
	if depth > maxDepth {
		return nil, &DecodeError{Offset: s.i, Msg: "nesting too deep"}
	}
	s.i++
	s.skipWS()
	if s.peek() == '}' {
		s.i++
		return map[string]any{}, nil
	}
	base := len(s.members)
	for {
		if s.peek() != '"' {
			return nil, s.syntaxErr()
		}
		k, err := s.str()
		if err != nil {
			return nil, err
		}
		if err := s.expect(':'); err != nil {
			return nil, err
		}
		v, err := s.value(depth)
		if err != nil {
			return nil, err
		}
		s.members = append(s.members, member{k, v})
		s.skipWS()
		switch s.peek() {
		case ',':
			s.i++
			s.skipWS()
		case '}':
			s.i++
			m := make(map[string]any, len(s.members)-base)
			for _, kv := range s.members[base:] {
				m[kv.key] = kv.val
			}
			clear(s.members[base:])
			s.members = s.members[:base]
			return m, nil
		default:
			return nil, s.syntaxErr()
		}
	}
}
