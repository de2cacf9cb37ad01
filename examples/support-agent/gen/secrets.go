package main

import (
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"
)

// ---------------------------------------------------------------------------
// Planted secrets

// The planted test cards. Both are Luhn-valid (checked at start-up) and are
// the only Luhn-valid digit runs the generator lets into its output.
const (
	cardVisa       = "4539 1488 0343 6467"
	cardMastercard = "5425 2334 3010 9903"
)

type secrets struct {
	awsKeyID    string // AKIA + 16 base32
	githubToken string // ghp_ + 30 base62 + 6 base62 CRC32
	slackToken  string // xoxb-<team>-<bot>-<24 alnum>
	bearerJWT   string // HS256 session token sent as "Authorization: Bearer ..."
	resetJWT    string // HS256 password-reset token leaked in a reply
	pemKey      string // PKCS#1 RSA private key, PEM, real newlines
	password    string // hunter2-...
}

// plant is one planted secret (or e-mail) and where it went.
type plant struct {
	kind   string
	values []string // exact substrings that must never reach the store
	where  []string
}

type scenario struct {
	rng   *rand.Rand
	sec   secrets
	spans map[string]bool

	plants     []*plant
	plantIndex map[string]*plant // by kind+first value
}

func newScenario() *scenario {
	s := &scenario{
		rng:        rand.New(rand.NewPCG(seed1, seed2)),
		spans:      map[string]bool{},
		plantIndex: map[string]*plant{},
	}
	s.sec = s.makeSecrets()
	return s
}

// note records that value (of kind) was placed at where.
func (s *scenario) note(kind, where string, values ...string) {
	key := kind + "\x00" + values[0]
	p := s.plantIndex[key]
	if p == nil {
		p = &plant{kind: kind, values: values}
		s.plantIndex[key] = p
		s.plants = append(s.plants, p)
	}
	for _, w := range p.where {
		if w == where {
			return
		}
	}
	p.where = append(p.where, where)
}

const (
	lowerHex = "0123456789abcdef"
	base62   = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	base32   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)

var longDigits = regexp.MustCompile(`[0-9]{7,}`)

// pick returns n characters drawn from alphabet, never with a run of seven or
// more digits (so that no identifier looks like a card number).
func (s *scenario) pick(alphabet string, n int) string {
	for {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[s.rng.IntN(len(alphabet))]
		}
		if !longDigits.Match(b) {
			return string(b)
		}
	}
}

func (s *scenario) traceID() string { return s.pick(lowerHex, 32) }

func (s *scenario) spanID() string {
	for {
		id := s.pick(lowerHex, 16)
		if !s.spans[id] {
			s.spans[id] = true
			return id
		}
	}
}

func (s *scenario) idemKey() string { return "idem_" + s.pick(lowerHex, 24) }

func (s *scenario) randBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rng.Uint32())
	}
	return b
}

func (s *scenario) makeSecrets() secrets {
	for _, c := range []string{cardVisa, cardMastercard} {
		if !luhn(onlyDigits(c)) {
			panic("planted card " + c + " is not Luhn-valid")
		}
	}
	var sec secrets
	sec.awsKeyID = "AKIA" + s.pick(base32, 16)

	body := s.pick(base62, 30)
	sum := crc32.ChecksumIEEE([]byte(body))
	var cs []byte
	for sum > 0 {
		cs = append([]byte{base62[sum%62]}, cs...)
		sum /= 62
	}
	for len(cs) < 6 {
		cs = append([]byte{'0'}, cs...)
	}
	sec.githubToken = "ghp_" + body + string(cs)

	// Slack ids are long digit runs joined by '-'; redraw until no 13-19
	// digit window across them passes Luhn.
	for {
		team := fmt.Sprintf("%d%09d", 1+s.rng.IntN(9), s.rng.IntN(1e9))
		bot := fmt.Sprintf("%d%012d", 1+s.rng.IntN(9), s.rng.Int64N(1e12))
		tok := "xoxb-" + team + "-" + bot + "-" + s.pick(base62, 24)
		if len(accidentalCards(tok, nil)) == 0 {
			sec.slackToken = tok
			break
		}
	}

	sec.bearerJWT = s.jwt(map[string]any{
		"iss":   "https://auth.acme.example",
		"sub":   "cus_LVOGEL",
		"aud":   "orders-api",
		"scope": "orders:read customer:read",
		"iat":   baseTime.Add(3 * time.Hour).Unix(),
		"exp":   baseTime.Add(4 * time.Hour).Unix(),
	})
	sec.resetJWT = s.jwt(map[string]any{
		"iss":     "https://auth.acme.example",
		"sub":     "usr_JNOVAK",
		"purpose": "password_reset",
		"iat":     baseTime.Add(27 * time.Hour).Unix(),
		"exp":     baseTime.Add(27*time.Hour + 30*time.Minute).Unix(),
	})
	sec.pemKey = s.rsaPEM()
	sec.password = "hunter2-" + s.pick(base62, 8)
	return sec
}

// jwt returns a signed HS256 token; a jti makes it redrawable until its text
// has no long digit run.
func (s *scenario) jwt(claims map[string]any) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	key := s.randBytes(32)
	for {
		claims["jti"] = s.pick(lowerHex, 16)
		payload, _ := json.Marshal(claims)
		signing := header + "." + base64.RawURLEncoding.EncodeToString(payload)
		m := hmac.New(sha256.New, key)
		m.Write([]byte(signing))
		tok := signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
		if !longDigits.MatchString(tok) {
			return tok
		}
	}
}

// rsaPEM builds a real 1024-bit RSA key from the seeded generator (so it is
// deterministic; crypto/rsa.GenerateKey is not) and returns it as PKCS#1 PEM.
func (s *scenario) rsaPEM() string {
	e := big.NewInt(65537)
	one := big.NewInt(1)
	prime := func() *big.Int {
		for {
			b := s.randBytes(64)
			b[0] |= 0xc0
			b[63] |= 1
			p := new(big.Int).SetBytes(b)
			pm1 := new(big.Int).Sub(p, one)
			if p.ProbablyPrime(32) && new(big.Int).GCD(nil, nil, e, pm1).Cmp(one) == 0 {
				return p
			}
		}
	}
	for {
		p, q := prime(), prime()
		if p.Cmp(q) == 0 {
			continue
		}
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		key := &rsa.PrivateKey{
			PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 65537},
			D:         new(big.Int).ModInverse(e, phi),
			Primes:    []*big.Int{p, q},
		}
		key.Precompute()
		if err := key.Validate(); err != nil {
			panic(err)
		}
		out := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
		if len(accidentalCards(out, nil)) == 0 && !longDigits.MatchString(out) {
			return out
		}
	}
}

// pemBodyLines are the base64 lines of a PEM block: each is a substring that
// must never reach the store.
func pemBodyLines(p string) []string {
	var out []string
	for _, l := range strings.Split(p, "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}
