package redact

import "strings"

// The detectors below are hand-written scanners rather than regular
// expressions: each is a literal search (strings.Index, SIMD-backed) for
// its anchor followed by a short forward or backward scan, which keeps a
// dirty 1 KB string in the microseconds. Every detector replaces matches
// left to right, resuming after a replaced match and one byte after a
// failed candidate, like a leftmost-first regexp.

// redactPrefixed replaces every prefix(s[p:]) > 0 followed by at least
// min bytes accepted by body (the whole run of them is replaced).
func redactPrefixed(s string, c Counts, typ string, first byte, prefix func(string) int, body func(byte) bool, min int) string {
	var e editor
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], first)
		if j < 0 {
			break
		}
		p := i + j
		i = p + 1
		n := prefix(s[p:])
		if n == 0 {
			continue
		}
		z := p + n
		for z < len(s) && body(s[z]) {
			z++
		}
		if z-p-n >= min {
			e.replace(s, p, z, typ, c)
			i = z
		}
	}
	return e.finish(s)
}

// redactAWSIDs replaces AWS access key ids: AKIA or ASIA followed by 16
// or more of [A-Z0-9] (the whole run, so no tail of a longer id is left).
func redactAWSIDs(s string, c Counts) string {
	return redactPrefixed(s, c, TypeAWSKey, 'A', awsPrefix, isUpperAlnum, 16)
}

func awsPrefix(s string) int {
	if len(s) >= 4 && (s[1] == 'K' || s[1] == 'S') && s[2] == 'I' && s[3] == 'A' {
		return 4
	}
	return 0
}

// redactGitHub replaces GitHub tokens: gh[pousr]_ + 36 or more of
// [A-Za-z0-9], and github_pat_ + 20 or more of [A-Za-z0-9_].
func redactGitHub(s string, c Counts) string {
	s = redactPrefixed(s, c, TypeGitHubToken, 'g', ghPrefix, isAlnum, 36)
	return redactPrefixed(s, c, TypeGitHubToken, 'g', patPrefix, isWord, 20)
}

func ghPrefix(s string) int {
	if len(s) >= 4 && s[1] == 'h' && s[3] == '_' && strings.IndexByte("pousr", s[2]) >= 0 {
		return 4
	}
	return 0
}

func patPrefix(s string) int {
	if strings.HasPrefix(s, "github_pat_") {
		return len("github_pat_")
	}
	return 0
}

// redactSlack replaces Slack tokens, xox[abprs]- + 8 or more of
// [A-Za-z0-9-], and webhook URLs
// [http[s]://]hooks.slack.com/{services,workflows,triggers}/<path>.
func redactSlack(s string, c Counts) string {
	var e editor
	for i := 0; ; {
		j := strings.Index(s[i:], "hooks.slack.com/")
		if j < 0 {
			break
		}
		p := i + j
		i = p + 1
		q := p + len("hooks.slack.com/")
		var kind string
		for _, k := range [...]string{"services/", "workflows/", "triggers/"} {
			if strings.HasPrefix(s[q:], k) {
				kind = k
			}
		}
		if kind == "" {
			continue
		}
		z := q + len(kind)
		for z < len(s) && (isWord(s[z]) || s[z] == '/' || s[z] == '-') {
			z++
		}
		if z == q+len(kind) {
			continue
		}
		for _, scheme := range [...]string{"https://", "http://"} {
			if p-len(scheme) >= e.last && strings.HasSuffix(s[:p], scheme) {
				p -= len(scheme)
				break
			}
		}
		e.replace(s, p, z, TypeSlackToken, c)
		i = z
	}
	s = e.finish(s)
	return redactPrefixed(s, c, TypeSlackToken, 'x', slackPrefix, isAlnumDash, 8)
}

func slackPrefix(s string) int {
	if len(s) >= 5 && s[1] == 'o' && s[2] == 'x' && s[4] == '-' && strings.IndexByte("abprs", s[3]) >= 0 {
		return 5
	}
	return 0
}

// redactJWTs replaces JSON Web Tokens: three base64url segments joined by
// dots, the first starting with eyJ (a base64-encoded '{"').
func redactJWTs(s string, c Counts) string {
	var e editor
	for i := 0; ; {
		j := strings.Index(s[i:], "eyJ")
		if j < 0 {
			break
		}
		p := i + j
		seg1 := p + 3
		for seg1 < len(s) && isB64URL(s[seg1]) {
			seg1++
		}
		z := seg1
		for seg := 0; seg < 2 && z > 0; seg++ {
			if z >= len(s) || s[z] != '.' {
				z = -1
				break
			}
			start := z + 1
			for z = start; z < len(s) && isB64URL(s[z]); z++ {
			}
			if z == start {
				z = -1
			}
		}
		if z < 0 {
			// Every eyJ inside the first segment ends it at the same
			// place and fails the same way.
			i = seg1
			continue
		}
		e.replace(s, p, z, TypeJWT, c)
		i = z
	}
	return e.finish(s)
}

// redactBearer replaces the token after the word "bearer" (any case, not
// preceded by a word byte) and blanks: 8 or more of [A-Za-z0-9._~+/=-],
// not a word of fewer than 16 letters only ("the bearer password"). The
// word itself is kept.
func redactBearer(s string, c Counts) string {
	var e editor
	lo, up := newCursor(s, 'b'), newCursor(s, 'B')
	for i := 0; ; i++ {
		i = min(lo.next(i), up.next(i))
		if i+6 >= len(s) {
			break
		}
		if !strings.EqualFold(s[i:i+6], "bearer") || i > 0 && isWord(s[i-1]) {
			continue
		}
		a := i + 6
		for a < len(s) && (s[a] == ' ' || s[a] == '\t') {
			a++
		}
		if a == i+6 {
			continue
		}
		z := a
		for z < len(s) && isTokenByte(s[z]) {
			z++
		}
		if z-a >= 8 && (z-a >= 16 || !allLetters(s[a:z])) {
			e.replace(s, a, z, TypeBearerToken, c)
			i = z - 1
		}
	}
	return e.finish(s)
}

// cursor finds the occurrences of byte c in s in increasing order with
// SIMD-backed strings.IndexByte, one call per occurrence.
type cursor struct {
	s  string
	c  byte
	at int // an occurrence of c found earlier, len(s) for none, -1 at first
}

func newCursor(s string, c byte) cursor { return cursor{s: s, c: c, at: -1} }

// next returns the index of the first c at or after i, or len(s) if there
// is none. Successive calls must not decrease i.
func (k *cursor) next(i int) int {
	if k.at >= i {
		return k.at
	}
	k.at = len(k.s)
	if i < len(k.s) {
		if j := strings.IndexByte(k.s[i:], k.c); j >= 0 {
			k.at = i + j
		}
	}
	return k.at
}

// redactURLPasswords replaces the password in URL user info,
// scheme://user:password@host (the user may be empty). Neither part may
// hold a blank or one of /?#@[] (RFC 3986 delimiters; '[' and ']' also
// keep the match out of markers), and the user no ':'.
func redactURLPasswords(s string, c Counts) string {
	var e editor
	for i := 0; ; {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			break
		}
		p := i + j
		i = p + 1
		k := p
		hasLetter := false
		for k > e.last && (isAlnum(s[k-1]) || s[k-1] == '+' || s[k-1] == '.' || s[k-1] == '-') {
			k--
			hasLetter = hasLetter || isAlnum(s[k]) && !isDigit(s[k])
		}
		if !hasLetter {
			continue
		}
		a := p + 3
		for a < len(s) && !isSpace(s[a]) && strings.IndexByte("/?#@:[]", s[a]) < 0 {
			a++
		}
		if a >= len(s) || s[a] != ':' {
			continue
		}
		a++
		z := a
		for z < len(s) && !isSpace(s[z]) && strings.IndexByte("/?#@[]", s[z]) < 0 {
			z++
		}
		if z == a || z >= len(s) || s[z] != '@' || onlyMarkers(s[a:z]) {
			continue
		}
		e.replace(s, a, z, TypeCredential, c)
		i = z
	}
	return e.finish(s)
}

// redactEmails replaces local@domain.tld: the local part is the run of
// [A-Za-z0-9._%+-] before '@'; the domain is the longest run of dot-joined
// [A-Za-z0-9-] labels whose last label starts with two or more letters
// (the match ends after those letters).
func redactEmails(s string, c Counts) string {
	var e editor
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '@')
		if j < 0 {
			break
		}
		at := i + j
		i = at + 1
		a := at
		for a > e.last && isLocalByte(s[a-1]) {
			a--
		}
		if a == at {
			continue
		}
		z, end := at+1, -1
		for {
			l := z
			for z < len(s) && isLabelByte(s[z]) {
				z++
			}
			if z == l {
				break
			}
			if l > at+1 { // a label after a dot: may be the TLD
				t := l
				for t < len(s) && t < z && (s[t]|0x20 >= 'a' && s[t]|0x20 <= 'z') {
					t++
				}
				if t-l >= 2 {
					end = t
				}
			}
			if z >= len(s) || s[z] != '.' {
				break
			}
			z++
		}
		if end < 0 {
			continue
		}
		e.replace(s, a, end, TypeEmail, c)
		i = end
	}
	return e.finish(s)
}

func isUpperAlnum(b byte) bool { return b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' }
func isWord(b byte) bool       { return isAlnum(b) || b == '_' }
func isB64URL(b byte) bool     { return isWord(b) || b == '-' }
func isAlnumDash(b byte) bool  { return isAlnum(b) || b == '-' }
func isLabelByte(b byte) bool  { return isAlnum(b) || b == '-' }
func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

func isLocalByte(b byte) bool {
	return isAlnum(b) || b == '.' || b == '_' || b == '%' || b == '+' || b == '-'
}

func isTokenByte(b byte) bool {
	return isAlnum(b) || strings.IndexByte("._~+/=-", b) >= 0
}

// allLetters reports whether s holds ASCII letters only.
func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}
