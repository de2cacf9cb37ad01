package redact

import (
	"sort"
	"strconv"
	"strings"
)

// Scrub returns s with every secret replaced, as r.String does, and also
// the secrets s hides behind escapes: JSON escapes (\u0041KIA…, \/, \\),
// URL percent-encoding (%41KIA…, a token in an encoded query string), and
// these nested up to maxUnescape layers deep (\\u0041KIA… in a raw JSON
// line, %2541KIA…, %5Cu0041KIA…). Secrets are looked for in the decoded
// text, but the result is s itself with the original bytes of each secret
// (its escapes included) replaced by the marker: everything else keeps its
// escapes byte for byte, so a valid JSON line stays valid JSON unless a
// secret spans two of its strings (as String does to one that is not
// escaped). A text whose decoded form holds no secret its visible form
// does not is returned as r.String(s). Counts are added to c (nil skips
// counting), each secret once. Every text evalhouse keeps or prints from
// input goes through Scrub: stored values, keys, raw dead-letter lines and
// error reasons. The decoded text is read first, so that a detector
// reading escaped text (a header's parameters between \" quotes) never
// redacts half a secret and leaves the rest looking done; then the result
// as it stands, for anything only its visible form shows.
func Scrub(r *Redactor, s string, c Counts) string {
	if !strings.ContainsAny(s, `%\`) {
		return r.String(s, c)
	}
	u, ok := unescape(s)
	if !ok {
		return r.String(s, c)
	}
	hidden := Counts{}
	red := r.String(u.text, hidden)
	if red == u.text {
		return r.String(s, c)
	}
	if c != nil {
		c.Add(hidden)
	}
	if res, ok := u.rewrite(s, red); ok {
		return r.String(res, c)
	}
	// Not reached: String only replaces ranges by markers. The decoded
	// text, redacted, holds no secret either.
	return red
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
