package redact

import "strings"

// redactCredentials replaces the values of credential assignments — keys
// ending in api_key, password, secret, token, authorization, ... followed
// by ':', '=' or '=>' — keeping the key. aws_secret_access_key values are
// typed TypeAWSKey, all others TypeCredential.
//
// Values may be double-quoted (JSON escapes honoured), single-quoted,
// quoted with JSON-escaped quotes (\"...\", as inside a JSON string) or
// bare; a bare value ends at a blank, a quote, one of ,;&<>(){}\` or a
// marker.
// A leading authorization scheme word (Bearer, Basic, ...) is kept.
// Values that are empty, true/false/null, or already markers are left
// alone, as are "==", ":=" and "::" (code, not assignments).
func redactCredentials(s string, c Counts) string {
	var e editor
	colon, eq := newCursor(s, ':'), newCursor(s, '=')
	memo := quoteMemo{len(s), len(s)}
	for i := 0; ; i++ {
		if i = min(colon.next(i), eq.next(i)); i >= len(s) {
			break
		}
		keyEnd := keyEndBefore(s, i)
		n, typ := credKey(s[:keyEnd])
		if n == 0 || keyEnd-n < e.last {
			continue
		}
		end := i + 1
		if end < len(s) {
			switch next := s[end]; {
			case s[i] == '=' && next == '>':
				end++
			case s[i] == ':' && (next == ':' || next == '='), s[i] == '=' && next == '=':
				i++ // "::", ":=", "==": code, not an assignment
				continue
			}
		}
		var a, z int
		if s[i] == ':' && suffixFold(s[:keyEnd], "authorization") > 0 {
			a, z = headerSpan(s, end, &memo)
		} else {
			a, z = valueSpan(s, end, &memo)
		}
		if a < 0 {
			continue
		}
		if isAWSSecretKey(s[:keyEnd]) {
			typ = TypeAWSKey
		}
		e.replace(s, a, z, typ, c)
		i = z - 1
	}
	return e.finish(s)
}

// isAWSSecretKey reports whether key ends with the name of an AWS secret
// access key, ignoring case, '_' and '-': aws_secret_access_key,
// AWS_SECRET_ACCESS_KEY, SecretAccessKey (STS JSON), secret-access-key.
func isAWSSecretKey(key string) bool {
	const want = "secretaccesskey"
	n := len(want)
	for i := len(key) - 1; i >= 0 && n > 0; i-- {
		b := key[i]
		if b == '_' || b == '-' {
			continue
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		n--
		if b != want[n] {
			return false
		}
	}
	return n == 0
}

// headerSpan returns the byte range of an Authorization header's value
// that starts at s[p] (after optional blanks): a quoted value as in
// valueSpan, else the rest of the line (to CR, LF, a backslash, which
// starts the JSON escape \n or \", or a quote that does not open or
// close a param value such as response="..."). A first word followed by a blank
// and more text is the scheme (Bearer, Digest, AWS4-HMAC-SHA256, SSWS,
// any) and is kept. -1, -1 if there is nothing to redact.
func headerSpan(s string, p int, memo *quoteMemo) (int, int) {
	for p < len(s) && (s[p] == ' ' || s[p] == '\t') {
		p++
	}
	if p < len(s) && (s[p] == '"' || s[p] == '\'' || s[p] == '\\') {
		return valueSpan(s, p, memo)
	}
	z := p
	var inQuote byte // the quote of a param value (realm="x") being read
	for ; z < len(s) && s[z] != '\n' && s[z] != '\r' && s[z] != '\\'; z++ {
		if b := s[z]; b == '"' || b == '\'' {
			if inQuote == b {
				inQuote = 0
			} else if inQuote == 0 && z > p && s[z-1] == '=' {
				inQuote = b
			} else if inQuote == 0 {
				break
			}
		}
	}
	for z > p && (s[z-1] == ' ' || s[z-1] == '\t') {
		z--
	}
	a := p
	for w := p; w < z && (isAlnum(s[w]) || s[w] == '-'); w++ {
		if w+1 < z && (s[w+1] == ' ' || s[w+1] == '\t') {
			a = w + 1
			for a < z && (s[a] == ' ' || s[a] == '\t') {
				a++
			}
			break
		}
	}
	if skipValue(s[a:z]) {
		return -1, -1
	}
	return a, z
}

// valueSpan returns the byte range of the value that starts at s[p] (after
// optional blanks), or -1, -1 if there is nothing to redact.
func valueSpan(s string, p int, memo *quoteMemo) (int, int) {
	for p < len(s) && (s[p] == ' ' || s[p] == '\t') {
		p++
	}
	q := ""
	switch {
	case strings.HasPrefix(s[p:], `\"`):
		q = `\"`
	case p < len(s) && (s[p] == '"' || s[p] == '\''):
		q = s[p : p+1]
	}
	if q != "" {
		start := p + len(q)
		if end := closingQuote(s, start, q, memo); end >= 0 {
			a := skipScheme(s, start, end)
			if skipValue(s[a:end]) {
				return -1, -1
			}
			return a, end
		}
		p = start // unterminated quote: take a bare value after it
	}
	// A bare value ends at a stop byte or a marker; one that starts with
	// a marker is already redacted (what follows it is not this value).
	a := skipScheme(s, p, len(s))
	z := a
	for z < len(s) && !isValueStop(s[z]) && (s[z] != '[' || markerLen(s[z:]) == 0) {
		z++
	}
	if skipValue(s[a:z]) {
		return -1, -1
	}
	return a, z
}

// quoteMemo remembers, per quote character, a position after which s has
// no such quote (len(s) while unknown). It keeps many unterminated quotes
// from making the credential scan quadratic.
type quoteMemo struct{ noDQ, noSQ int }

// closingQuote returns the index of the quote q that closes a value
// starting at s[start], or -1. In `"` values a quote escaped by an odd
// number of backslashes does not close. In `\"` values (JSON inside a
// JSON string) n backslashes and a quote close when n%4 == 1 (the
// closing \" itself) and end the outer string when n is even; n%4 == 3 is
// an escaped quote inside the value.
func closingQuote(s string, start int, q string, memo *quoteMemo) int {
	if q == "'" {
		if start < memo.noSQ {
			if i := strings.IndexByte(s[start:], '\''); i >= 0 {
				return start + i
			}
			memo.noSQ = start
		}
		return -1
	}
	for k := start; k < memo.noDQ; k++ {
		i := strings.IndexByte(s[k:], '"')
		if i < 0 {
			memo.noDQ = k
			break
		}
		k += i
		n := 0
		for k-n > start && s[k-n-1] == '\\' {
			n++
		}
		switch {
		case q == `"` && n%2 == 0:
			return k
		case q == `\"` && n%4 == 1:
			return k - 1
		case q == `\"` && n%2 == 0:
			return k
		}
	}
	return -1
}

// isValueStop reports whether b ends a bare (unquoted) value.
func isValueStop(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\r', '\v', '\f', '"', '\'', ',', ';', '&', '<', '>', '(', ')', '{', '}', '\\', '`':
		return true
	}
	return false
}

// skipScheme returns the start of the value in s[a:limit] after a leading
// HTTP authorization scheme word ("Bearer", "Basic", ...) and the blanks
// after it; a if there is none. The scheme counts only when followed by a
// blank or limit.
func skipScheme(s string, a, limit int) int {
	w := a
	for w < limit && (s[w]|0x20 >= 'a' && s[w]|0x20 <= 'z') {
		w++
	}
	if w < limit && s[w] != ' ' && s[w] != '\t' {
		return a
	}
	switch strings.ToLower(s[a:w]) {
	case "bearer", "basic", "digest", "token", "negotiate", "ntlm":
	default:
		return a
	}
	for w < limit && (s[w] == ' ' || s[w] == '\t') {
		w++
	}
	return w
}

// skipValue reports whether a credential value needs no redaction: blank,
// a JSON literal, or only markers.
func skipValue(v string) bool {
	t := trimBlanks(v)
	switch {
	case t == "", strings.EqualFold(t, "true"), strings.EqualFold(t, "false"), strings.EqualFold(t, "null"):
		return true
	}
	return onlyMarkers(t)
}

// credKeyType returns the marker type of the string values under map key
// k when k names a credential (they are secrets as a whole), or "".
func credKeyType(k string) string {
	k = strings.TrimRight(k, " \t\"'")
	_, typ := credKey(k)
	if typ != "" && isAWSSecretKey(k) {
		typ = TypeAWSKey
	}
	return typ
}

// credString redacts s, a string stored under a credential key: after
// String, whatever remains apart from a leading scheme word and markers is
// replaced as one secret of type typ.
func (r *Redactor) credString(s string, typ string, c Counts) (string, bool) {
	// "Basic <base64>" under a credential key is the credential itself.
	s, changed := r.redactMask(s, c, bitBasic)
	a := skipScheme(s, 0, len(s))
	if skipValue(s[a:]) {
		return s, changed
	}
	c.inc(typ)
	return s[:a] + Marker(typ), true
}
