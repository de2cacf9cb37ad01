package redact

import (
	"math"
	"strings"
	"unicode/utf8"
)

// maxUnescape bounds how many layers of escaping Scrub peels: a value
// escaped three times (\\\\u0041, once per JSON encoding) and sent in a
// raw JSON line takes four; percent-encoded twice (%2541) takes two.
const maxUnescape = 4

// unescaped is a text with its escapes decoded and, for every byte of it,
// where the escape (or plain byte) it came from starts in the original:
// text[i] comes from orig[pos[i]:], and pos[len(text)] = len(orig). pos
// never decreases, and a position in pos is always the start of a whole
// escape of the original, so cutting the original there never splits one.
type unescaped struct {
	text string
	pos  []int32
}

// unescape decodes s's escapes, repeatedly, up to maxUnescape layers: the
// JSON escapes \uXXXX (a lone surrogate reads as U+FFFD), \" \\ \/ \b \f
// \n \r \t, and URL %XX escapes (one byte each). Any other backslash or
// percent sign is a plain byte. ok is false when s has no escape to
// decode, or is 2 GiB or longer (then u is empty).
func unescape(s string) (u unescaped, ok bool) {
	if len(s) >= math.MaxInt32 {
		return unescaped{}, false
	}
	text, pos := s, []int32(nil)
	for range maxUnescape {
		next, npos, changed := unescapeOnce(text, pos)
		if !changed {
			break
		}
		text, pos = next, npos
	}
	if pos == nil {
		return unescaped{}, false
	}
	return unescaped{text, pos}, true
}

// unescapeOnce decodes one layer of s's escapes (see unescape). pos maps
// s's bytes to the original, nil when s is the original. It returns s
// and pos unchanged, and false, when s has no escape.
func unescapeOnce(s string, pos []int32) (string, []int32, bool) {
	var b []byte
	var npos []int32
	origin := func(i int) int32 {
		if pos == nil {
			return int32(i)
		}
		return pos[i]
	}
	last := 0 // s[last:i] is copied byte for byte when an escape is found
	flush := func(i int) {
		if b == nil {
			b = make([]byte, 0, len(s))
			npos = make([]int32, 0, len(s)+1)
		}
		b = append(b, s[last:i]...)
		for k := last; k < i; k++ {
			npos = append(npos, origin(k))
		}
	}
	var enc [utf8.UTFMax]byte
	for i := 0; i < len(s); {
		var out []byte
		n := 0
		switch s[i] {
		case '%':
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				enc[0] = unhex(s[i+1])<<4 | unhex(s[i+2])
				out, n = enc[:1], 3
			}
		case '\\':
			if i+1 < len(s) {
				if c := jsonEscape(s[i+1]); c != 0 {
					enc[0] = c
					out, n = enc[:1], 2
				} else if r, k := jsonU(s[i:]); k > 0 {
					out, n = enc[:utf8.EncodeRune(enc[:], r)], k
				}
			}
		}
		if n == 0 {
			i++
			continue
		}
		flush(i)
		b = append(b, out...)
		for range out {
			npos = append(npos, origin(i))
		}
		i += n
		last = i
	}
	if b == nil {
		return s, pos, false
	}
	flush(len(s))
	npos = append(npos, origin(len(s)))
	return string(b), npos, true
}

// jsonEscape returns the byte that the JSON escape \c stands for, or 0
// when \c is not one (\u is read by jsonU).
func jsonEscape(c byte) byte {
	switch c {
	case '"', '\\', '/':
		return c
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return 0
}

// jsonU decodes the \uXXXX escape (or surrogate pair) at the start of s,
// returning the rune and how many bytes it spans, or 0 bytes if s does not
// start with one. A lone surrogate is U+FFFD.
func jsonU(s string) (rune, int) {
	r1, ok := hex4(s)
	if !ok {
		return 0, 0
	}
	if r1 < 0xd800 || r1 > 0xdfff {
		return r1, 6
	}
	if r2, ok := hex4(s[6:]); ok && r1 < 0xdc00 && r2 >= 0xdc00 && r2 <= 0xdfff {
		return 0x10000 + (r1-0xd800)<<10 + (r2 - 0xdc00), 12
	}
	return utf8.RuneError, 6
}

func hex4(s string) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// rewrite carries the redaction red of u.text back to orig, the text u
// decodes: where red keeps u.text, orig's own bytes (its escapes as they
// were); where red has markers, the markers in place of the original
// bytes of what they replaced. The runs of red between markers are found
// in u.text in order, each as early as it occurs; wherever they are
// placed, each kept run of orig decodes to the run red keeps, so the
// result decodes to red. ok is false if red is not u.text with some
// ranges replaced by markers.
func (u unescaped) rewrite(orig, red string) (string, bool) {
	var b strings.Builder
	b.Grow(len(orig))
	d := 0        // u.text[:d] is accounted for
	pending := "" // markers that replace u.text[d:] up to the next kept run
	for i := 0; i < len(red); {
		j := nextMarker(red, i)
		if kept := red[i:j]; kept != "" {
			at := d
			switch {
			case pending == "": // the text starts with it (only at the start)
				if !strings.HasPrefix(u.text[d:], kept) {
					return "", false
				}
			case j == len(red): // the text ends with it
				at = len(u.text) - len(kept)
				if at < d || u.text[at:] != kept {
					return "", false
				}
			default:
				k := strings.Index(u.text[d:], kept)
				if k < 0 {
					return "", false
				}
				at = d + k
			}
			b.WriteString(pending)
			pending = ""
			b.WriteString(orig[u.pos[at]:u.pos[at+len(kept)]])
			d = at + len(kept)
		}
		k := j
		for k < len(red) {
			n := markerLen(red[k:])
			if n == 0 {
				break
			}
			k += n
		}
		pending += red[j:k]
		i = k
	}
	if pending == "" && d != len(u.text) {
		return "", false
	}
	b.WriteString(pending)
	return b.String(), true
}

// nextMarker returns the index of the first marker in s at or after i,
// or len(s).
func nextMarker(s string, i int) int {
	for {
		k := strings.Index(s[i:], markerPrefix)
		if k < 0 {
			return len(s)
		}
		if markerLen(s[i+k:]) > 0 {
			return i + k
		}
		i += k + 1
	}
}
