package redact

import "strings"

const (
	pemBegin = "-----BEGIN "
	pemDash  = "-----"
)

// redactPEM replaces private key blocks, from "-----BEGIN <label>-----"
// (label ending in PRIVATE KEY or PRIVATE KEY BLOCK) through the matching
// "-----END <label>-----". Whatever lies between is covered, so newlines
// escaped as the two characters `\n` (a PEM inside a raw JSON line) are
// handled like real ones. A block without its END line (for example a
// truncated log) is redacted to the end of s.
func redactPEM(s string, c Counts) string {
	var e editor
	for i := 0; ; {
		j := strings.Index(s[i:], pemBegin)
		if j < 0 {
			break
		}
		start := i + j
		p := start + len(pemBegin)
		k := p
		for k < len(s) && (s[k] >= 'A' && s[k] <= 'Z' || s[k] >= '0' && s[k] <= '9' || s[k] == ' ') {
			k++
		}
		label := s[p:k]
		if !strings.HasPrefix(s[k:], pemDash) ||
			!(strings.HasSuffix(label, "PRIVATE KEY") || strings.HasSuffix(label, "PRIVATE KEY BLOCK")) {
			i = start + 1
			continue
		}
		body := k + len(pemDash)
		end := len(s)
		if n := strings.Index(s[body:], "-----END "+label+pemDash); n >= 0 {
			end = body + n + len("-----END ") + len(label) + len(pemDash)
		}
		e.replace(s, start, end, TypePrivateKey, c)
		i = end
	}
	return e.finish(s)
}
