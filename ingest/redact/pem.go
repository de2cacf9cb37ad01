package redact

import "strings"

// redactPEM replaces private key blocks: a header line of four or more
// dashes, an optional blank, BEGIN, a label holding PRIVATE KEY (RSA, EC,
// OPENSSH, ENCRYPTED, PGP ... BLOCK, SSH2 ENCRYPTED ...), an optional
// blank and four or more dashes, all in any case, through the matching END
// line (same label, any case). Whatever lies between is covered, so
// newlines escaped as the two characters `\n` (a PEM inside a raw JSON
// line) are handled like real ones. A block without its END line (for
// example a truncated log) is redacted to the end of s. Certificates and
// public keys are not secrets and are left alone.
func redactPEM(s string, c Counts) string {
	var e editor
	for i := 0; ; {
		j := strings.Index(s[i:], "----")
		if j < 0 {
			break
		}
		start := i + j
		body, label, ok := pemHeaderAt(s, start)
		if !ok {
			i = start + 1
			continue
		}
		end := pemEnd(s, body, label)
		e.replace(s, start, end, TypePrivateKey, c)
		i = end
	}
	return e.finish(s)
}

// pemHeaderAt parses a private key header line that starts at s[p] (see
// redactPEM) and returns where the line's dashes end and its label.
func pemHeaderAt(s string, p int) (body int, label string, ok bool) {
	k := dashes(s, p)
	if k-p < 4 {
		return 0, "", false
	}
	if k < len(s) && s[k] == ' ' {
		k++
	}
	if k+6 > len(s) || !strings.EqualFold(s[k:k+6], "BEGIN ") {
		return 0, "", false
	}
	a := k + 6
	z := a
	for z < len(s) && (isAlnum(s[z]) || s[z] == ' ') {
		z++
	}
	e := dashes(s, z)
	if e-z < 4 {
		return 0, "", false
	}
	label = strings.TrimRight(s[a:z], " ")
	if !containsFold(label, "PRIVATE KEY") {
		return 0, "", false
	}
	return e, label, true
}

// pemEnd returns the end of the END line for label after s[body], or
// len(s) if there is none.
func pemEnd(s string, body int, label string) int {
	for i := body; ; {
		j := strings.Index(s[i:], "----")
		if j < 0 {
			return len(s)
		}
		p := i + j
		k := dashes(s, p)
		i = k
		if k < len(s) && s[k] == ' ' {
			k++
		}
		if k+4+len(label) > len(s) || !strings.EqualFold(s[k:k+4], "END ") || !strings.EqualFold(s[k+4:k+4+len(label)], label) {
			continue
		}
		k += 4 + len(label)
		if k < len(s) && s[k] == ' ' {
			k++
		}
		if e := dashes(s, k); e-k >= 4 {
			return e
		}
	}
}

// dashes returns the end of the run of '-' that starts at s[p].
func dashes(s string, p int) int {
	for p < len(s) && s[p] == '-' {
		p++
	}
	return p
}

// containsFold reports whether s holds sub (upper case), ignoring ASCII
// case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
