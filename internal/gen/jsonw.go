package gen

import (
	"strconv"
	"time"
)

// line appends one JSON object to a byte slice without reflection. Keys
// are constants of this package (never escaped); string values are
// escaped as JSON requires.
type line struct {
	b []byte
}

func (l *line) open(kind string) {
	l.b = append(l.b, `{"kind":"`...)
	l.b = append(l.b, kind...)
	l.b = append(l.b, '"')
}

func (l *line) close() { l.b = append(l.b, '}', '\n') }

func (l *line) key(k string) {
	l.b = append(l.b, ',', '"')
	l.b = append(l.b, k...)
	l.b = append(l.b, '"', ':')
}

func (l *line) str(k, v string) {
	l.key(k)
	l.b = appendString(l.b, v)
}

// hex writes a string value of prefix and n random hex digits.
func (l *line) hex(k, prefix string, r *rng, n int) {
	l.key(k)
	l.b = append(l.b, '"')
	l.b = append(l.b, prefix...)
	l.b = r.appendHex(l.b, n)
	l.b = append(l.b, '"')
}

func (l *line) int(k string, v int64) {
	l.key(k)
	l.b = strconv.AppendInt(l.b, v, 10)
}

// num writes v with at most prec decimals, trailing zeros dropped.
func (l *line) num(k string, v float64, prec int) {
	l.key(k)
	l.b = appendNum(l.b, v, prec)
}

func (l *line) bool(k string, v bool) {
	l.key(k)
	l.b = strconv.AppendBool(l.b, v)
}

func (l *line) time(k string, t time.Time) {
	l.key(k)
	l.b = append(l.b, '"')
	l.b = t.UTC().AppendFormat(l.b, "2006-01-02T15:04:05.000Z07:00")
	l.b = append(l.b, '"')
}

func (l *line) strs(k string, vs ...string) {
	l.key(k)
	l.b = appendStrings(l.b, vs)
}

// raw writes v, which must already be JSON.
func (l *line) raw(k string, v []byte) {
	l.key(k)
	l.b = append(l.b, v...)
}

// obj is a JSON object under construction inside a value (input, args,
// attributes): call field methods, then end.
type obj struct {
	b     []byte
	first bool
}

func newObj(b []byte) obj { return obj{b: append(b, '{'), first: true} }

func (o *obj) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *obj) str(k, v string)                { o.key(k); o.b = appendString(o.b, v) }
func (o *obj) int(k string, v int64)          { o.key(k); o.b = strconv.AppendInt(o.b, v, 10) }
func (o *obj) num(k string, v float64, p int) { o.key(k); o.b = appendNum(o.b, v, p) }
func (o *obj) bool(k string, v bool)          { o.key(k); o.b = strconv.AppendBool(o.b, v) }
func (o *obj) strs(k string, vs ...string)    { o.key(k); o.b = appendStrings(o.b, vs) }
func (o *obj) end() []byte                    { return append(o.b, '}') }

func appendNum(b []byte, v float64, prec int) []byte {
	if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	b = strconv.AppendFloat(b, v, 'f', prec, 64)
	i := len(b)
	for b[i-1] == '0' {
		i--
	}
	if b[i-1] == '.' {
		i--
	}
	return b[:i]
}

// appendStrings appends vs as a JSON array of strings.
func appendStrings(b []byte, vs []string) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
