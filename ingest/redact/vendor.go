package redact

import (
	"encoding/base64"
	"strings"
)

// Vendor tokens that start with a fixed prefix. The rule set follows the
// public ideas of gitleaks and trufflehog (prefix, alphabet, minimum
// length, a word boundary before the prefix); the code is ours.

// tokenRule is a token made of a literal prefix and at least min bytes
// accepted by body; the whole run of body bytes is replaced.
type tokenRule struct {
	typ    string
	prefix string
	body   func(byte) bool
	min    int
	bit    uint32 // the prefilter bit of the rule's family (vendorTrigger)
}

// vendorRules are tried in order; a longer prefix goes before a shorter
// one it starts with (sk-ant- before sk-).
var vendorRules = [...]tokenRule{
	{TypeAnthropicKey, "sk-ant-", isB64URL, 20, bitVendorDash},
	{TypeOpenAIKey, "sk-proj-", isB64URL, 20, bitVendorDash},
	{TypeOpenAIKey, "sk-svcacct-", isB64URL, 20, bitVendorDash},
	{TypeOpenAIKey, "sk-admin-", isB64URL, 20, bitVendorDash},
	{TypeOpenAIKey, "sk-", isAlnum, 32, bitVendorDash},
	{TypeStripeKey, "sk_live_", isAlnum, 16, bitVendorUnder},
	{TypeStripeKey, "sk_test_", isAlnum, 16, bitVendorUnder},
	{TypeStripeKey, "rk_live_", isAlnum, 16, bitVendorUnder},
	{TypeStripeKey, "rk_test_", isAlnum, 16, bitVendorUnder},
	{TypeStripeKey, "whsec_", isAlnum, 24, bitVendorUnder},
	{TypeGoogleAPIKey, "AIza", isB64URL, 35, bitVendorGoogle},
	{TypeSendGridKey, "SG.", isSendGridByte, 50, bitVendorGoogle},
	{TypeHuggingFaceToken, "hf_", isAlnum, 30, bitVendorUnder},
	{TypeNPMToken, "npm_", isAlnum, 36, bitVendorUnder},
	{TypeGitLabToken, "glpat-", isB64URL, 20, bitVendorDash},
	{TypeGitLabToken, "glptt-", isB64URL, 20, bitVendorDash},
	{TypeGitLabToken, "gldt-", isB64URL, 20, bitVendorDash},
	{TypeGitLabToken, "glrt-", isB64URL, 20, bitVendorDash},
}

// vendorAnchors are the bytes redactVendor stops at, and vendorOffsets[r][a]
// the index of the first vendorAnchors[a] in vendorRules[r].prefix, or -1.
const vendorAnchors = "-_.I"

var vendorOffsets = func() (offs [len(vendorRules)][len(vendorAnchors)]int8) {
	for r, rule := range vendorRules {
		for a := range len(vendorAnchors) {
			offs[r][a] = int8(strings.IndexByte(rule.prefix, vendorAnchors[a]))
		}
	}
	return offs
}()

func isSendGridByte(b byte) bool { return isB64URL(b) || b == '.' }

// vendorTrigger returns the family bit of the vendor rules whose prefix
// the prefilter trigger byte s[j] ('-', '_', '.' or 'I') ends or sits
// inside, or 0: every vendorRules prefix holds one of those bytes at a
// place checked here.
func vendorTrigger(s string, j int) uint32 {
	if j == 0 {
		return 0
	}
	switch p := s[j-1]; s[j] {
	case '-':
		if (p == 'k' || p == 't') && (strings.HasSuffix(s[:j], "sk") || strings.HasSuffix(s[:j], "glpat") ||
			strings.HasSuffix(s[:j], "glptt") || strings.HasSuffix(s[:j], "gldt") || strings.HasSuffix(s[:j], "glrt")) {
			return bitVendorDash
		}
	case '_':
		if (p == 'k' || p == 'c' || p == 'f' || p == 'm') && (strings.HasSuffix(s[:j], "sk") || strings.HasSuffix(s[:j], "rk") ||
			strings.HasSuffix(s[:j], "whsec") || strings.HasSuffix(s[:j], "hf") || strings.HasSuffix(s[:j], "npm")) {
			return bitVendorUnder
		}
	case '.':
		if p == 'G' && j >= 2 && s[j-2] == 'S' {
			return bitVendorGoogle
		}
	case 'I':
		if p == 'A' && strings.HasPrefix(s[j+1:], "za") {
			return bitVendorGoogle
		}
	}
	return 0
}

// redactVendor replaces the tokens of every vendorRules rule whose family
// bit is in m, in one pass: at each anchor byte ('-', '_', '.', 'I') of a
// flagged family, the rules anchored there are tried in order. A token
// needs a non-alphanumeric byte (or the start) before its prefix.
func redactVendor(s string, m uint32, c Counts) string {
	var e editor
	var ks [4]cursor
	n := 0
	for _, a := range [...]struct {
		b   byte
		bit uint32
	}{{'-', bitVendorDash}, {'_', bitVendorUnder}, {'.', bitVendorGoogle}, {'I', bitVendorGoogle}} {
		if m&a.bit != 0 {
			ks[n] = newCursor(s, a.b)
			n++
		}
	}
	for i := 0; ; i++ {
		j := len(s)
		for k := 0; k < n; k++ {
			j = min(j, ks[k].next(i))
		}
		if j >= len(s) {
			break
		}
		i = j
		a := strings.IndexByte(vendorAnchors, s[j])
		for r := range vendorRules {
			rule := &vendorRules[r]
			off := int(vendorOffsets[r][a])
			p := j - off
			if off < 0 || rule.bit&m == 0 || p < e.last || !strings.HasPrefix(s[p:], rule.prefix) || p > 0 && isAlnum(s[p-1]) {
				continue
			}
			z := p + len(rule.prefix)
			for z < len(s) && rule.body(s[z]) {
				z++
			}
			if rule.typ == TypeSendGridKey {
				z = trimSendGrid(s, p+len(rule.prefix), z)
			}
			if z-p-len(rule.prefix) >= rule.min {
				e.replace(s, p, z, rule.typ, c)
				i = z - 1
				break
			}
		}
	}
	return e.finish(s)
}

// trimSendGrid returns where a SendGrid key SG.<id>.<secret> in s[a:z]
// ends: a trailing '.' (end of a sentence) is not part of it, and a key
// without the dot between id and secret ends at a (no key).
func trimSendGrid(s string, a, z int) int {
	for z > a && s[z-1] == '.' {
		z--
	}
	if strings.IndexByte(s[a:z], '.') < 0 {
		return a
	}
	return z
}

// twilioSidAt reports whether a Twilio sid starts at s[p]: "SK" or "AC",
// then exactly 32 lower-case hex digits (at least one a digit), bounded by
// non-alphanumerics on both sides.
func twilioSidAt(s string, p int) bool {
	if p > 0 && isAlnum(s[p-1]) || p+34 > len(s) {
		return false
	}
	sk := s[p] == 'S' && s[p+1] == 'K'
	return (sk || s[p] == 'A' && s[p+1] == 'C') && isHex32At(s, p+2)
}

// isHex32At reports whether s[p:] starts with 32 lower-case hex digits, at
// least one a decimal digit, and no alphanumeric after them.
func isHex32At(s string, p int) bool {
	if p+32 > len(s) || p+32 < len(s) && isAlnum(s[p+32]) {
		return false
	}
	digit := false
	for k := p; k < p+32; k++ {
		b := s[k]
		if !isDigit(b) && (b < 'a' || b > 'f') {
			return false
		}
		digit = digit || isDigit(b)
	}
	return digit
}

// twilioTrigger is the prefilter check at the digit s[j] that starts a
// digit chain: whether the lower-case hex run around it follows "SK" or
// "AC". Every Twilio sid holds a digit, and its first digit starts a chain.
func twilioTrigger(s string, j int) bool {
	k := j
	for k > 0 && j-k < 32 && (isDigit(s[k-1]) || s[k-1] >= 'a' && s[k-1] <= 'f') {
		k--
	}
	return k >= 2 && (s[k-2] == 'S' && s[k-1] == 'K' || s[k-2] == 'A' && s[k-1] == 'C')
}

// redactTwilio replaces Twilio API key sids (SK + 32 hex) and the auth
// token that follows an account sid (AC + 32 hex) within 80 bytes: the
// next bounded run of 32 lower-case hex digits, as in
// Client("AC…", "<token>") or AC…:<token>. The account sid itself is an
// account name, not a secret, and is kept.
func redactTwilio(s string, c Counts) string {
	var e editor
	for i := 0; i+34 <= len(s); {
		j := strings.IndexAny(s[i:], "SA")
		if j < 0 {
			break
		}
		p := i + j
		i = p + 1
		if !twilioSidAt(s, p) {
			continue
		}
		if s[p] == 'S' {
			e.replace(s, p, p+34, TypeTwilioKey, c)
			i = p + 34
			continue
		}
		for q := p + 34; q < len(s) && q < p+34+80; q++ {
			if !isAlnum(s[q-1]) && isHex32At(s, q) {
				e.replace(s, q, q+32, TypeTwilioKey, c)
				i = q + 32
				break
			}
		}
	}
	return e.finish(s)
}

// telegramAt returns the span of a Telegram bot token whose ':' is s[j]:
// 5 to 16 digits (after a non-alphanumeric, the start, or "bot" as in
// api.telegram.org/bot<token>), ':', 'A' and 30 or more of
// [A-Za-z0-9_-] up to a byte outside that set. ok is false otherwise.
func telegramAt(s string, j int) (a, z int, ok bool) {
	a = j
	for a > 0 && j-a <= 16 && isDigit(s[a-1]) {
		a--
	}
	if n := j - a; n < 5 || n > 16 {
		return 0, 0, false
	}
	if a > 0 && isAlnum(s[a-1]) && !strings.HasSuffix(s[:a], "bot") {
		return 0, 0, false
	}
	if j+1 >= len(s) || s[j+1] != 'A' {
		return 0, 0, false
	}
	z = j + 1
	for z < len(s) && isB64URL(s[z]) {
		z++
	}
	return a, z, z-j-1 >= 31
}

// redactTelegram replaces Telegram bot tokens (see telegramAt), digits
// and secret as one.
func redactTelegram(s string, c Counts) string {
	var e editor
	for i := 0; ; {
		j := strings.IndexByte(s[i:], ':')
		if j < 0 {
			break
		}
		p := i + j
		i = p + 1
		if a, z, ok := telegramAt(s, p); ok && a >= e.last {
			e.replace(s, a, z, TypeTelegramToken, c)
			i = z
		}
	}
	return e.finish(s)
}

// discordHosts are the hosts of Discord webhook URLs; the prefilter looks
// for the '/' after each.
var discordHosts = [...]string{"discord.com", "discordapp.com"}

// redactDiscord replaces Discord webhook URLs,
// [http[s]://][ptb.|canary.]discord[app].com/api/webhooks/<id>/<token>,
// scheme to token.
func redactDiscord(s string, c Counts) string {
	var e editor
	for i := 0; ; {
		j := strings.Index(s[i:], "/api/webhooks/")
		if j < 0 {
			break
		}
		p := i + j
		i = p + 1
		host := ""
		for _, h := range discordHosts {
			if strings.HasSuffix(s[:p], h) {
				host = h
			}
		}
		if host == "" {
			continue
		}
		z := p + len("/api/webhooks/")
		d := z
		for z < len(s) && isDigit(s[z]) {
			z++
		}
		if z == d || z >= len(s) || s[z] != '/' {
			continue
		}
		t := z + 1
		for z = t; z < len(s) && isB64URL(s[z]); z++ {
		}
		if z-t < 20 {
			continue
		}
		a := p - len(host)
		for a > e.last && (isAlnum(s[a-1]) || s[a-1] == '.') {
			a--
		}
		for _, scheme := range [...]string{"https://", "http://"} {
			if a-len(scheme) >= e.last && strings.HasSuffix(s[:a], scheme) {
				a -= len(scheme)
				break
			}
		}
		e.replace(s, a, z, TypeDiscordWebhook, c)
		i = z
	}
	return e.finish(s)
}

const puttyHeader = "PuTTY-User-Key-File-"

// redactPuTTY replaces PuTTY private key files (.ppk), from
// "PuTTY-User-Key-File-" through the hex of the "Private-MAC:" line, or to
// the end of s when that line is missing (a truncated paste).
func redactPuTTY(s string, c Counts) string {
	var e editor
	for i := 0; ; {
		j := strings.Index(s[i:], puttyHeader)
		if j < 0 {
			break
		}
		p := i + j
		end := len(s)
		if k := strings.Index(s[p:], "Private-MAC:"); k >= 0 {
			end = p + k + len("Private-MAC:")
			for end < len(s) && (s[end] == ' ' || s[end] == '\t') {
				end++
			}
			for end < len(s) && isAlnum(s[end]) {
				end++
			}
		}
		e.replace(s, p, end, TypePrivateKey, c)
		i = end
	}
	return e.finish(s)
}

// basicAt returns the span of the base64 credential after the word
// "basic" at s[i] (any case, not after a word byte, then blanks), when it
// decodes to printable text holding a ':' after at least one byte
// (user:password), and ends at the end of s or at a byte of isBasicEnd
// (not at '[': what an earlier detector put after it must not make a
// match). ok is false otherwise.
func basicAt(s string, i int) (a, z int, ok bool) {
	if i+5 >= len(s) || !strings.EqualFold(s[i:i+5], "basic") || i > 0 && isWord(s[i-1]) {
		return 0, 0, false
	}
	a = i + 5
	for a < len(s) && (s[a] == ' ' || s[a] == '\t') {
		a++
	}
	if a == i+5 {
		return 0, 0, false
	}
	z = a
	for z < len(s) && (isAlnum(s[z]) || s[z] == '+' || s[z] == '/' || s[z] == '=') {
		z++
	}
	if n := z - a; n < 4 || n > 512 || z < len(s) && !isBasicEnd(s[z]) {
		return 0, 0, false
	}
	var buf [384]byte
	enc := base64.StdEncoding
	if s[z-1] != '=' {
		enc = base64.RawStdEncoding
	}
	n, err := enc.Decode(buf[:], []byte(s[a:z]))
	if err != nil {
		return 0, 0, false
	}
	colon := -1
	for k, b := range buf[:n] {
		if b < 0x20 || b > 0x7e {
			return 0, 0, false
		}
		if b == ':' && colon < 0 {
			colon = k
		}
	}
	return a, z, colon > 0
}

// redactBasic replaces "Basic <base64>" credentials outside an
// Authorization key (which the credential detector already covers; see
// basicAt). The word is kept.
func redactBasic(s string, c Counts) string {
	var e editor
	lo, up := newCursor(s, 'b'), newCursor(s, 'B')
	for i := 0; ; i++ {
		if i = min(lo.next(i), up.next(i)); i >= len(s) {
			break
		}
		if a, z, ok := basicAt(s, i); ok {
			e.replace(s, a, z, TypeBasicAuth, c)
			i = z - 1
		}
	}
	return e.finish(s)
}

// isBasicEnd reports whether b may follow a Basic credential.
func isBasicEnd(b byte) bool {
	return isSpace(b) || strings.IndexByte("\"',;)}]>&\\<|`", b) >= 0
}
