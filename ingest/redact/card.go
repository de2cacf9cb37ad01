package redact

import "math/bits"

// A card group is a maximal run of digits.
type group struct{ a, z int }

// redactCards replaces payment card numbers: 13 to 19 digits, optionally
// in groups joined by single spaces or dashes, that pass the Luhn check.
//
// To keep identifiers and numbers from matching, a digit run touching a
// letter or another digit run (hex ids, UUIDs) or a decimal point with a
// digit beyond it (float fractions) is never part of a card, and in a
// grouped number every group has at least 3 digits. Within a chain of
// groups the scan is greedy from the left: at each group it takes the
// longest Luhn-valid window of whole groups starting there.
func redactCards(s string, c Counts) string {
	var e editor
	var buf [32]group
	chain := buf[:0]
	flush := func() {
		redactChain(s, chain, &e, c)
		chain = chain[:0]
	}
	for i := 0; ; {
		if i = nextDigit(s, i); i >= len(s) {
			break
		}
		a := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		g := group{a, i}
		if !cardGroupOK(s, g) {
			flush()
			continue
		}
		if len(chain) > 0 {
			prev := chain[len(chain)-1]
			joined := g.a == prev.z+1 && (s[prev.z] == ' ' || s[prev.z] == '-')
			if !joined || g.z-g.a < 3 || prev.z-prev.a < 3 {
				flush()
			}
		}
		chain = append(chain, g)
	}
	flush()
	return e.finish(s)
}

// cardGroupOK reports whether digit run g may be (part of) a card number.
func cardGroupOK(s string, g group) bool {
	if g.z-g.a > 19 {
		return false
	}
	if g.a > 0 {
		b := s[g.a-1]
		if isAlnum(b) || b == '.' && g.a >= 2 && isDigit(s[g.a-2]) {
			return false
		}
	}
	if g.z < len(s) {
		b := s[g.z]
		if isAlnum(b) || b == '.' && g.z+1 < len(s) && isDigit(s[g.z+1]) {
			return false
		}
	}
	return true
}

// redactChain replaces the card numbers in a chain of joined digit groups.
func redactChain(s string, chain []group, e *editor, c Counts) {
	for i := 0; i < len(chain); {
		best, digits := -1, 0
		for j := i; j < len(chain); j++ {
			digits += chain[j].z - chain[j].a
			if digits > 19 {
				break
			}
			if digits >= 13 && luhn(s, chain[i:j+1]) {
				best = j
			}
		}
		if best < 0 {
			i++
			continue
		}
		e.replace(s, chain[i].a, chain[best].z, TypeCardNumber, c)
		i = best + 1
	}
}

// luhn reports whether the digits of groups pass the Luhn check.
func luhn(s string, groups []group) bool {
	sum, double := 0, false
	for gi := len(groups) - 1; gi >= 0; gi-- {
		g := groups[gi]
		for k := g.z - 1; k >= g.a; k-- {
			d := int(s[k] - '0')
			if double {
				d *= 2
				if d > 9 {
					d -= 9
				}
			}
			sum += d
			double = !double
		}
	}
	return sum%10 == 0
}

// nextDigit returns the index of the first ASCII digit at or after i, or
// len(s). Words of eight bytes without a digit are skipped at once (see
// triggers for the technique).
func nextDigit(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		y := x & swarLow7
		if t := (swarOnes*(127+'9'+1) - y) & (y + swarOnes*(127-'0'+1)) &^ x & swarHigh; t != 0 {
			return i + bits.TrailingZeros64(t)>>3
		}
	}
	for ; i < len(s); i++ {
		if isDigit(s[i]) {
			return i
		}
	}
	return len(s)
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isAlnum(b byte) bool {
	return b >= '0' && b <= '9' || b|0x20 >= 'a' && b|0x20 <= 'z'
}
