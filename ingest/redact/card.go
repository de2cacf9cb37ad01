package redact

import "math/bits"

// A card group is a maximal run of digits.
type group struct{ a, z int }

// redactCards replaces payment card numbers. A card is 13 to 19 digits,
// written as one run or as groups of 3 to 6 digits (the first of 4) split
// by one consistent separator (a single space, dash or dot), whose digits
// start with an issuer prefix at a length that issuer uses (see issuerOK)
// and pass the Luhn check.
//
// Identifiers and numbers never match: a digit run touching a letter or a
// digit (hex ids, UUIDs, traces), longer than 19 digits (order numbers),
// or next to a decimal point with a digit beyond it that does not join it
// to a group (float fractions) is never part of a card. Within a chain of
// joined groups the scan is greedy from the left: at each group it takes
// the longest valid window of whole groups starting there.
func redactCards(s string, c Counts) string {
	var e editor
	var buf [32]group
	chain := buf[:0]
	var sep byte
	flush := func() {
		redactChain(s, chain, &e, c)
		chain, sep = chain[:0], 0
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
		if len(chain) > 0 {
			prev := chain[len(chain)-1]
			adjacent := g.a == prev.z+1 && isCardSep(s[prev.z]) && isCardGroup(g) && isCardGroup(prev)
			switch {
			case adjacent && (sep == 0 || s[prev.z] == sep):
				sep = s[prev.z]
			case adjacent && e.last <= prev.a:
				// Another separator: the chain ends before prev, and a new
				// one starts at prev ("000 5555-5555-5555-4444").
				flush()
				chain, sep = append(chain, prev), s[prev.z]
			default:
				flush()
			}
		}
		if !cardGroupOK(s, g, len(chain) > 0) {
			flush()
			continue
		}
		chain = append(chain, g)
	}
	flush()
	return e.finish(s)
}

func isCardSep(b byte) bool    { return b == ' ' || b == '-' || b == '.' }
func isCardGroup(g group) bool { return g.z-g.a >= 3 && g.z-g.a <= 6 }

// cardGroupOK reports whether digit run g may be (part of) a card number;
// joined says it is joined to the group before it.
func cardGroupOK(s string, g group, joined bool) bool {
	if g.z-g.a > 19 {
		return false
	}
	if g.a > 0 {
		b := s[g.a-1]
		if isAlnum(b) || !joined && b == '.' && g.a >= 2 && isDigit(s[g.a-2]) {
			return false
		}
	}
	if g.z < len(s) {
		b := s[g.z]
		if isAlnum(b) || b == '.' && g.z+1 < len(s) && isDigit(s[g.z+1]) && !isCardGroup(g) {
			return false
		}
	}
	return true
}

// redactChain replaces the card numbers in a chain of joined digit groups.
func redactChain(s string, chain []group, e *editor, c Counts) {
	var digits [19]byte
	for i := 0; i < len(chain); {
		best, n := -1, 0
		if len(chain) > 1 && chain[i].z-chain[i].a != 4 {
			i++
			continue
		}
		for j := i; j < len(chain); j++ {
			g := chain[j]
			if n+g.z-g.a > 19 {
				break
			}
			n += copy(digits[n:], s[g.a:g.z])
			if n >= 13 && issuerOK(digits[:n]) && luhn(digits[:n]) {
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

// issuerOK reports whether the digits d start with the prefix of a card
// issuer that issues numbers of length len(d): Visa 4 (13, 16, 19),
// Mastercard 51-55 and 2221-2720 (16), Amex 34, 37 (15), Discover 6011,
// 644-649, 65 (16-19), UnionPay 62 (16-19), Diners 300-305, 36, 38, 39
// (14-19), JCB 3528-3589 (16-19), Mir 2200-2204 (16-19), Maestro 5018,
// 5020, 5038, 5893, 6304, 6759, 6761-6763 (13-19).
func issuerOK(d []byte) bool {
	n := len(d)
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p3 := p2*10 + int(d[2]-'0')
	p4 := p3*10 + int(d[3]-'0')
	long := n >= 16
	switch {
	case d[0] == '4':
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return n == 16
	case p2 == 34 || p2 == 37:
		return n == 15
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65, p2 == 62:
		return long
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39:
		return n >= 14
	case p4 >= 3528 && p4 <= 3589, p4 >= 2200 && p4 <= 2204:
		return long
	case p4 == 5018, p4 == 5020, p4 == 5038, p4 == 5893, p4 == 6304, p4 == 6759, p4 >= 6761 && p4 <= 6763:
		return true
	}
	return false
}

// luhn reports whether the digits d pass the Luhn check.
func luhn(d []byte) bool {
	sum, double := 0, false
	for k := len(d) - 1; k >= 0; k-- {
		v := int(d[k] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
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

func isLetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }
