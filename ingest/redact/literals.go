package redact

import (
	"strings"
	"unicode/utf8"
)

// maxLiteralDepth bounds how deep scrubLiterals looks into quoted strings
// inside quoted strings (a JSON document as a string value of a raw line).
const maxLiteralDepth = 3

// scrubLiterals redacts the secrets inside s's double-quoted strings
// (JSON's or Go's %q) that only their decoded text shows: a .env line
// after an escaped newline, a header's parameters between escaped quotes.
// s is text as it is kept, a raw line that may be malformed (a string left
// open runs to the end). A literal whose decoded text holds such a secret
// is replaced by that text redacted and quoted again (JSON escapes); every
// other byte of s is kept. Secrets found are added to c.
func scrubLiterals(r *Redactor, s string, c Counts, depth int) string {
	if depth >= maxLiteralDepth || !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '"' {
			continue
		}
		j, esc := literalEnd(s, i+1)
		if esc {
			dec := unquoteLiteral(s[i+1 : j])
			local := Counts{}
			red := scrub(r, dec, local, depth+1)
			if red != dec {
				if c != nil {
					c.Add(local)
				}
				b.WriteString(s[last : i+1])
				writeQuoted(&b, red)
				last = j
			}
		}
		i = j // the closing quote, or len(s)
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// literalEnd returns the index of the quote closing the string that starts
// at s[from] (len(s) if none), and whether the string holds an escape.
func literalEnd(s string, from int) (end int, esc bool) {
	for k := from; k < len(s); k++ {
		switch s[k] {
		case '\\':
			esc = true
			k++
		case '"':
			return k, esc
		}
	}
	return len(s), esc
}

// unquoteLiteral decodes a quoted string's body: JSON's escapes (\n, \t,
// \", \\, \/, \uXXXX, …); an unknown or malformed escape is kept as it is.
func unquoteLiteral(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch e := s[i+1]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case '"', '\\', '/', '\'':
			b.WriteByte(e)
		case 'u':
			if r, n := jsonU(s[i:]); n > 0 {
				b.WriteRune(r)
				i += n - 1
				continue
			}
			b.WriteString(s[i : i+2])
		default:
			b.WriteString(s[i : i+2])
		}
		i++
	}
	return b.String()
}

// writeQuoted writes s as a JSON string's body (no quotes around it).
func writeQuoted(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == utf8.RuneError && n == 1:
			b.WriteString(`\u00`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
}
