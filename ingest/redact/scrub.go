package redact

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Scrub returns s with every secret replaced, as r.String does, and also
// the secrets s hides behind escapes: JSON escapes (\u0041KIA…, \/) and URL
// percent-encoding (%41KIA…, a token in an encoded query string). When the
// decoded form of s holds a secret its visible form does not, the result is
// the decoded form, redacted; otherwise it is r.String(s). Inside quoted
// strings (a raw JSON line, an error's %q), every escape is decoded, and a
// string whose decoded text holds a secret is quoted again, redacted
// (scrubLiterals). Only escapes
// that decode to a character that needs no escaping in JSON are decoded
// (never '"', '\\' or a control character), so a raw JSON line stays valid
// JSON. Counts are added to c (nil skips counting), each secret once.
// Every text evalhouse keeps or prints from input goes through Scrub:
// stored values, keys, raw dead-letter lines and error reasons.
func Scrub(r *Redactor, s string, c Counts) string { return scrub(r, s, c, 0) }

// scrub is Scrub inside depth quoted strings (scrubLiterals): it also
// decodes the quoted strings s holds, for what only their decoded text
// shows.
func scrub(r *Redactor, s string, c Counts, depth int) string {
	// Quoted strings first: a detector reading the escaped text could
	// redact part of a secret and leave the rest looking done.
	s = scrubLiterals(r, s, c, depth)
	out := r.String(s, c)
	if !strings.ContainsAny(out, `%\`) {
		return out
	}
	if dec := unescape(out); dec != out {
		hidden := Counts{}
		if red := r.String(dec, hidden); red != dec {
			if c != nil {
				c.Add(hidden)
			}
			out = red
		}
	}
	return out
}

// maxUnescape bounds how many layers of escaping unescape peels (a value
// percent-encoded twice, %2541, takes two).
const maxUnescape = 3

// unescape decodes s's JSON \uXXXX and \/ escapes and URL %XX escapes,
// repeatedly (up to maxUnescape layers), into characters safe inside a
// JSON string (see safeRune); any other escape, or a malformed one, is kept
// as it is.
func unescape(s string) string {
	for range maxUnescape {
		next := unescapeOnce(s)
		if next == s {
			break
		}
		s = next
	}
	return s
}

func unescapeOnce(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		var r rune
		n := 0
		switch {
		case s[i] == '%' && i+2 < len(s):
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				r, n = rune(v), 3
			}
		case s[i] == '\\' && i+1 < len(s):
			switch s[i+1] {
			case '/':
				r, n = '/', 2
			case 'u':
				r, n = jsonU(s[i:])
			default:
				i++ // an escape kept as it is: never read its second byte as an escape
				continue
			}
		}
		if n == 0 || !safeRune(r) {
			if n > 0 {
				i += n - 1
			}
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i])
		b.WriteRune(r)
		i += n - 1
		last = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// jsonU decodes the \uXXXX escape (or surrogate pair) at the start of s,
// returning the rune and how many bytes it spans, or 0 bytes if malformed.
func jsonU(s string) (rune, int) {
	r1, ok := hex4(s)
	if !ok {
		return 0, 0
	}
	if r1 < 0xd800 || r1 > 0xdfff {
		return r1, 6
	}
	if r1 >= 0xdc00 {
		return 0, 0 // a lone low surrogate
	}
	r2, ok := hex4(s[6:])
	if !ok || r2 < 0xdc00 || r2 > 0xdfff {
		return 0, 0
	}
	return 0x10000 + (r1-0xd800)<<10 + (r2 - 0xdc00), 12
}

func hex4(s string) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	v, err := strconv.ParseUint(s[2:6], 16, 16)
	return rune(v), err == nil
}

// safeRune reports whether r may stand unescaped inside a JSON string.
func safeRune(r rune) bool {
	return r >= 0x20 && r != '"' && r != '\\' && r != 0x7f && utf8.ValidRune(r)
}

// ScrubValue redacts a decoded free-form value (input, output, args,
// attributes) in place where it can and returns it: its string values as
// r.Value does (credential keys included), then what hides behind escapes
// (Scrub), and its keys (redactKeys). A string under an identifier key
// (isIDKey: span_id, trace_id, idempotency_key, …) is an identifier: it is
// never rewritten for a card-like number, only for a secret that
// r.Identifier finds in it.
func ScrubValue(r *Redactor, v any, c Counts) any {
	var ids []idSlot
	collectIDs(v, &ids)
	v = r.Value(v, c)
	for _, s := range ids {
		if r.Identifier(s.v) != "" {
			s.m[s.k] = Scrub(r, s.v, c)
		} else {
			s.m[s.k] = s.v
		}
	}
	return scrubTree(r, v, c)
}

// idSlot is an identifier string held out of r.Value: the map and key it
// sits under, and its value.
type idSlot struct {
	m map[string]any
	k string
	v string
}

// collectIDs blanks every identifier string in v (so that r.Value counts
// nothing for it) and records it to be put back.
func collectIDs(v any, ids *[]idSlot) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && isIDKey(k) {
				*ids = append(*ids, idSlot{x, k, s})
				x[k] = ""
				continue
			}
			collectIDs(e, ids)
		}
	case []any:
		for _, e := range x {
			collectIDs(e, ids)
		}
	}
}

// isIDKey reports whether an attribute key names an identifier: its last
// dot-separated segment is "id", ends in "_id", "-id" or "Id"/"ID", or is
// an idempotency key; and it names no credential (credKeyType).
func isIDKey(k string) bool {
	if credKeyType(k) != "" {
		return false // JSESSIONID, ASP.NET_SessionId: a session cookie's value is a secret
	}
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		k = k[i+1:]
	}
	switch {
	case strings.EqualFold(k, "id"), strings.HasSuffix(k, "_id"), strings.HasSuffix(k, "-id"),
		strings.HasSuffix(k, "Id"), len(k) > 2 && strings.HasSuffix(k, "ID"):
		return true
	}
	l := strings.ToLower(k)
	return l == "idempotency_key" || l == "idempotency-key" || l == "idempotencykey"
}

// scrubTree applies Scrub to the strings of v that may hide a secret
// behind escapes, and redactKeys to every object's keys.
func scrubTree(r *Redactor, v any, c Counts) any {
	switch x := v.(type) {
	case string:
		if strings.ContainsAny(x, `%\`) {
			return Scrub(r, x, c)
		}
	case []any:
		for i, e := range x {
			x[i] = scrubTree(r, e, c)
		}
	case map[string]any:
		for k, e := range x {
			if _, isStr := e.(string); isStr && isIDKey(k) {
				continue // identifiers were settled by redactTree
			}
			x[k] = scrubTree(r, e, c)
		}
		redactKeys(r, x, c)
	}
	return v
}

// redactKeys replaces every key of m that holds a secret by its redacted
// form, the last marker in it numbered within m: the keys that redact to
// the same text are numbered from 1 in the byte order of the original
// keys ("[REDACTED:github_token#1]", "[REDACTED:github_token#2]", …), a
// number skipped if m already holds that key, so that no two keys of one
// object collide, nor a renamed key with a kept one. Each secret is
// counted once in c.
func redactKeys(r *Redactor, m map[string]any, c Counts) {
	type move struct{ from, to string }
	var moves []move
	for k := range m {
		if red := Scrub(r, k, c); red != k {
			moves = append(moves, move{k, red})
		}
	}
	if len(moves) == 0 {
		return
	}
	sort.Slice(moves, func(i, j int) bool { return moves[i].from < moves[j].from })
	vals := make([]any, len(moves))
	for i, mv := range moves {
		vals[i] = m[mv.from]
		delete(m, mv.from)
	}
	seq := map[string]int{}
	for i, mv := range moves {
		for {
			seq[mv.to]++
			k := numberMarker(mv.to, seq[mv.to])
			if _, taken := m[k]; !taken {
				m[k] = vals[i]
				break
			}
		}
	}
}

// markerOpen is how every redaction marker starts, "[REDACTED:".
var markerOpen = strings.TrimSuffix(Marker(""), "]")

// numberMarker adds "#n" inside the last marker of s; s without a marker
// gets "#n" at its end.
func numberMarker(s string, n int) string {
	tag := "#" + strconv.Itoa(n)
	if i := strings.LastIndex(s, markerOpen); i >= 0 {
		if j := strings.IndexByte(s[i:], ']'); j >= 0 {
			return s[:i+j] + tag + s[i+j:]
		}
	}
	return s + tag
}
