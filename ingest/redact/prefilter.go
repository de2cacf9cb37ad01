package redact

import (
	"math/bits"
	"strings"
)

// Detector bits: scan sets the bit of every detector that may match.
const (
	bitPEM uint32 = 1 << iota
	bitJWT
	bitAWS
	bitGitHub
	bitSlack
	bitBearer
	bitCred
	bitURL
	bitEmail
	bitCard
	bitPuTTY
	bitVendorDash   // sk-..., gl...-
	bitVendorUnder  // sk_/rk_ live/test, whsec_, hf_, npm_
	bitVendorGoogle // AIza..., SG....
	bitTwilio
	bitTelegram
	bitDiscord
	bitBasic
)

// credKeyLen returns the length of the credential keyword s ends with,
// ignoring ASCII case, or 0 (see credKey).
func credKeyLen(s string) int {
	n, _ := credKey(s)
	return n
}

// credKey returns the length of the credential keyword s ends with,
// ignoring ASCII case, and the marker type of its values; 0 and "" if s
// names no credential. The keywords are password, passwd, passphrase,
// secret, token, authorization, credential(s), and
// {api,secret,access,private} joined to key directly or by '_' or '-'
// (api_key, secret-key, ...); pwd, pass, auth and creds count only as
// whole words (not in bypass or oauth; the shell's PWD and OLDPWD are
// directories, not passwords). AccountKey and SharedAccessKey (Azure
// connection strings) type azure_storage_key; cookie names of sessions
// (sessionid, JSESSIONID, PHPSESSID, *_session, *_sess, connect.sid; not
// a bare "session", which attributes use for conversation ids) type
// session_cookie; an upper-case environment name that names
// a secret (STRIPE_KEY, DB_PASS, SENTRY_DSN, SECRET_KEY_BASE, see envKey)
// types credential. Value uses the same keywords for map keys.
func credKey(s string) (int, string) {
	if n, typ := credKeyAny(s); n > 0 {
		return n, typ
	}
	return 0, ""
}

// credKeyAny is credKey, but its type is meaningless when n is 0.
func credKeyAny(s string) (n int, typ string) {
	if s == "" {
		return 0, ""
	}
	if n := envKey(s); n > 0 {
		return n, TypeCredential
	}
	switch s[len(s)-1] | 0x20 {
	case 'd':
		if n := suffixFold(s, "password", "passwd"); n > 0 {
			return n, TypeCredential
		}
		if n := suffixFold(s, "sessionid", "sessid", "connect.sid"); n > 0 {
			return n, TypeSessionCookie
		}
		if wordSuffix(s, "pwd") && !strings.HasSuffix(s, "PWD") {
			return 3, TypeCredential
		}
	case 'e':
		return suffixFold(s, "passphrase"), TypeCredential
	case 't':
		return suffixFold(s, "secret"), TypeCredential
	case 'n':
		if n := suffixFold(s, "token", "authorization"); n > 0 {
			return n, TypeCredential
		}
		if n := suffixFold(s, "_session"); n > 0 {
			return n, TypeSessionCookie
		}
	case 's':
		if n := suffixFold(s, "_sess"); n > 0 {
			return n, TypeSessionCookie
		}
		if n := suffixFold(s, "credentials"); n > 0 {
			return n, TypeCredential
		}
		for _, w := range [...]string{"pass", "creds"} {
			if wordSuffix(s, w) {
				return len(w), TypeCredential
			}
		}
	case 'l':
		return suffixFold(s, "credential"), TypeCredential
	case 'h':
		if wordSuffix(s, "auth") {
			return 4, TypeCredential
		}
	case 'y':
		if suffixFold(s, "key") == 0 {
			return 0, ""
		}
		if n := suffixFold(s, "sharedaccesskey", "accountkey"); n > 0 {
			return n, TypeAzureStorageKey
		}
		n := 3
		if len(s) > 3 && (s[len(s)-4] == '_' || s[len(s)-4] == '-') {
			n = 4
		}
		if k := suffixFold(s[:len(s)-n], "api", "secret", "access", "private"); k > 0 {
			return k + n, TypeCredential
		}
	}
	return 0, ""
}

// wordSuffix reports whether s ends with kw (lower case), ignoring ASCII
// case, and no letter stands before it.
func wordSuffix(s, kw string) bool {
	n := suffixFold(s, kw)
	return n > 0 && (len(s) == n || !isLetter(s[len(s)-n-1]))
}

// envKey returns the length of the environment-style name s ends with
// when it names a secret, or 0. The name is a whole run of [A-Z0-9_]
// (nothing of [A-Za-z0-9_.-] before it), and either its last
// '_'-separated part is KEY, PASS, PWD, AUTH, DSN, SALT, CREDS or PAT, or
// one of its parts is SECRET, PASSWORD, PASSWD or PRIVATE
// (SECRET_KEY_BASE).
func envKey(s string) int {
	k := len(s)
	for k > 0 && (s[k-1] >= 'A' && s[k-1] <= 'Z' || isDigit(s[k-1]) || s[k-1] == '_') {
		k--
	}
	if k == len(s) || k > 0 && (isAlnum(s[k-1]) || s[k-1] == '.' || s[k-1] == '-') {
		return 0
	}
	name := s[k:]
	if name == "PWD" || name == "OLDPWD" {
		return 0
	}
	last := true
	for name != "" {
		i := strings.LastIndexByte(name, '_')
		part := name[i+1:]
		name = name[:max(i, 0)]
		switch part {
		case "KEY", "PASS", "PWD", "AUTH", "DSN", "SALT", "CREDS", "PAT":
			if last {
				return len(s) - k
			}
		case "SECRET", "PASSWORD", "PASSWD", "PRIVATE":
			return len(s) - k
		}
		last = false
		if i < 0 {
			break
		}
	}
	return 0
}

// suffixFold returns the length of the first of kws (lower case) that s
// ends with, ignoring ASCII case, or 0.
func suffixFold(s string, kws ...string) int {
	for _, kw := range kws {
		if len(s) < len(kw) {
			continue
		}
		t := s[len(s)-len(kw):]
		i := 0
		for i < len(kw) {
			b := t[i]
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			if b != kw[i] {
				break
			}
			i++
		}
		if i == len(kw) {
			return len(kw)
		}
	}
	return 0
}

// chainDigits counts the digits of the chain of digit runs joined by
// single spaces, dashes or dots that starts at s[i], and returns its end.
func chainDigits(s string, i int) (n, end int) {
	for ; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		} else if !isCardSep(s[i]) || i+1 >= len(s) || !isDigit(s[i+1]) {
			break
		}
	}
	return n, i
}

// keyEndBefore returns where the key before the separator s[i] ends:
// blanks and one (backslash-escaped) quote may stand between them.
func keyEndBefore(s string, i int) int {
	j := i
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
		j--
		if j > 0 && s[j-1] == '\\' {
			j--
		}
	}
	return j
}

// SWAR (SIMD within a register) constants for scan.
const (
	swarOnes = 0x0101010101010101
	swarLow7 = 0x7F7F7F7F7F7F7F7F
	swarHigh = 0x8080808080808080
	swar0x20 = 0x2020202020202020
)

// triggers returns a word with the high bit set in exactly those bytes of
// the little-endian 8-byte word x that are scan triggers: '-' '.' '/'
// '0'-'9' ':' ';' '<' '=' '>' '?' '@' 'I' 'J' '_' 'b' 'B' (every detector's
// pattern holds one of them at a place look checks). Bytes >= 0x80
// never are. Each range test m < b < n runs on 7-bit bytes so that no
// carry or borrow crosses a byte: (127+n-b) and (b+127-m) have bit 7 set
// exactly when b < n and b > m.
func triggers(x uint64) uint64 {
	y := x & swarLow7
	yb := y | swar0x20                                           // folds 'B' onto 'b'
	t := (swarOnes*(127+0x41) - y) & (y + swarOnes*(127-0x2C))   // '-' to '@'
	t |= (swarOnes*(127+0x4B) - y) & (y + swarOnes*(127-0x48))   // 'I' 'J'
	t |= (swarOnes*(127+0x60) - y) & (y + swarOnes*(127-0x5E))   // '_'
	t |= (swarOnes*(127+0x63) - yb) & (yb + swarOnes*(127-0x61)) // 'b' 'B'
	return t &^ x & swarHigh
}

// scan is the prefilter: one pass over the bytes of s returning the bits
// of the detectors that may match. It never misses a match (each
// detector's pattern implies its trigger; the fuzz test checks this) but
// may report detectors that then find nothing. Zero means s has no secret.
//
// Trigger bytes are found eight at a time with triggers; only those bytes
// get a closer look.
func (r *Redactor) scan(s string) uint32 {
	var st scanState
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		t := triggers(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56)
		if t != 0 {
			st.look(s, i, t)
		}
	}
	if i < len(s) {
		var x uint64
		for k := len(s) - 1; k >= i; k-- {
			x = x<<8 | uint64(s[k])
		}
		if t := triggers(x) & (1<<(8*uint(len(s)-i)) - 1); t != 0 {
			st.look(s, i, t)
		}
	}
	m := st.m
	if st.sawAt {
		if r.cfg.Emails {
			m |= bitEmail
		}
		if st.sawScheme {
			m |= bitURL
		}
	}
	return m
}

// scanState is what scan has found so far.
type scanState struct {
	m                uint32 // detector bits
	sawAt, sawScheme bool   // '@' and "://" seen: e-mail and URL user info
	digitsTo         int    // digits before this index are already counted
}

// look examines the trigger bytes of s flagged in t (see triggers), which
// describes the word at s[i:].
func (st *scanState) look(s string, i int, t uint64) {
	for t != 0 {
		j := i + bits.TrailingZeros64(t)>>3
		t &= t - 1
		switch b := s[j]; b {
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			// Count the chain of digit runs joined by single blanks or
			// dashes that starts here, once.
			if j >= st.digitsTo {
				n, e := chainDigits(s, j)
				if n >= 13 {
					st.m |= bitCard
				}
				if twilioTrigger(s, j) {
					st.m |= bitTwilio
				}
				st.digitsTo = e
			}
			// The rest of the chain in this word needs no look.
			if k := st.digitsTo - i; k >= 8 {
				t = 0
			} else {
				t &= ^uint64(0) << (8 * uint(k))
			}
		case 'J':
			if j >= 2 && s[j-1] == 'y' && s[j-2] == 'e' {
				st.m |= bitJWT
			}
		case 'I':
			if j >= 2 && j+1 < len(s) && s[j+1] == 'A' && s[j-2] == 'A' && (s[j-1] == 'K' || s[j-1] == 'S') {
				st.m |= bitAWS
			}
			st.m |= vendorTrigger(s, j)
		case '_':
			if j >= 3 && s[j-3] == 'g' && s[j-2] == 'h' || strings.HasSuffix(s[:j], "github_pat") {
				st.m |= bitGitHub
			}
			st.m |= vendorTrigger(s, j)
		case '.':
			if j > 0 && s[j-1] == 'G' {
				st.m |= vendorTrigger(s, j)
			}
		case 'b', 'B':
			if j+6 < len(s) && (s[j+6] == ' ' || s[j+6] == '\t') && strings.EqualFold(s[j:j+6], "bearer") {
				st.m |= bitBearer
			}
			if st.m&bitBasic == 0 && j+5 < len(s) && s[j+1]|0x20 == 'a' && s[j+4]|0x20 == 'c' {
				if _, _, ok := basicAt(s, j); ok {
					st.m |= bitBasic
				}
			}
		case ':', '=':
			if b == ':' && strings.HasPrefix(s[j:], "://") {
				st.sawScheme = true
			}
			if st.m&bitCred == 0 && credKeyLen(s[:keyEndBefore(s, j)]) > 0 {
				st.m |= bitCred
			}
			if b == ':' && st.m&bitTelegram == 0 {
				if _, _, ok := telegramAt(s, j); ok {
					st.m |= bitTelegram
				}
			}
		case '@':
			st.sawAt = true
		case '-':
			if j >= 4 && s[j-4] == 'x' && s[j-3] == 'o' && s[j-2] == 'x' {
				st.m |= bitSlack
			}
			if j+4 < len(s) && s[j+1] == '-' && s[j+3] == '-' {
				if _, _, ok := pemHeaderAt(s, j); ok {
					st.m |= bitPEM
				}
			}
			if strings.HasSuffix(s[:j], "PuTTY") && strings.HasPrefix(s[j:], puttyHeader[len("PuTTY"):]) {
				st.m |= bitPuTTY
			}
			st.m |= vendorTrigger(s, j)
		case '/':
			if strings.HasSuffix(s[:j], "hooks.slack.com") {
				st.m |= bitSlack
			}
			for _, h := range discordHosts {
				if strings.HasSuffix(s[:j], h) {
					st.m |= bitDiscord
				}
			}
		}
	}
}
