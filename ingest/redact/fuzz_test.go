package redact

import (
	"math/rand/v2"
	"strings"
	"testing"
)

const allBits = ^uint32(0)

// FuzzString checks, for any input: no panic; String is idempotent and
// counts nothing the second time; no line or blank-separated field of the
// output is something String would still change; the prefilter never
// hides a match and one detector pass already reaches the fixed point; and
// an AWS key planted anywhere in the input is gone from the output.
func FuzzString(f *testing.F) {
	for _, tc := range allCases() {
		f.Add(tc.in)
	}
	rs := []*Redactor{New(DefaultConfig()), New(Config{})}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range rs {
			checkProperties(t, r, s)
		}
	})
}

// TestFragmentCombos runs the FuzzString checks on random strings glued
// from fragments of secrets, keys, separators and markers: byte-level
// fuzzing rarely assembles such combinations.
func TestFragmentCombos(t *testing.T) {
	n := 30000
	if testing.Short() {
		n = 3000
	}
	fragmentCombos(t, 1, n, 12)
}

func fragmentCombos(t *testing.T, seed uint64, n, maxFrags int) {
	frags := []string{
		"token", "password", "Authorization", "api_key", "aws_secret_access_key", "SecretAccessKey",
		"=", ":", "=>", "==", ":=", " ", "\t", "\n", `"`, `'`, `\"`, `\\`, `\`, ",", ";", "&", "[", "]",
		"Bearer ", "bearer", "Basic ", "eyJ", "eyJhbGciOiJIUzI1NiJ9", ".", "abc", "x", "-", "_", "/",
		"AKIA", "AKIAIOSFODNN7EXAMPLE", "ghp_", strings.Repeat("a1", 18), "github_pat_", "xoxb-", "12345678",
		"hooks.slack.com/services/", "https://", "://", "@", "example.com", "a.b", "4111", "1111", "4111111111111111",
		"378282246310005", "0.", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", `\n`,
		"[REDACTED:jwt]", "[REDACTED:credential]", "[REDACTED:", "true", "null",
		"secret", "passwd", "Token", "eyJa.b.c", "1", "5", "{", "}", "(", "s://u:p@h", "xoxp-", "b", "B",
		"git@github.com", "=\"", "token=", "ghp_" + strings.Repeat("Z", 36),
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	rs := []*Redactor{New(DefaultConfig()), New(Config{})}
	for i := 0; i < n; i++ {
		var b strings.Builder
		for k := rng.IntN(maxFrags) + 1; k > 0; k-- {
			b.WriteString(frags[rng.IntN(len(frags))])
		}
		for _, r := range rs {
			checkProperties(t, r, b.String())
		}
		if t.Failed() {
			return
		}
	}
}

func checkProperties(t *testing.T, r *Redactor, s string) {
	t.Helper()
	c := Counts{}
	out := r.String(s, c)
	if (out != s) != (c.Total() > 0) {
		t.Fatalf("String(%q) = %q but counts %v", s, out, c)
	}

	c2 := Counts{}
	if again := r.String(out, c2); again != out || c2.Total() != 0 {
		t.Fatalf("not idempotent:\n in  %q\n out %q\n 2nd %q (counts %v)", s, out, again, c2)
	}
	for _, part := range outputParts(out) {
		if got := r.String(part, nil); got != part {
			t.Fatalf("output part still redactable:\n in   %q\n out  %q\n part %q -> %q", s, out, part, got)
		}
	}

	// Internals: the prefilter hides nothing, and one detector pass is a
	// fixed point (String runs one pass; a second one finds nothing).
	once := r.pass(s, r.scan(s), nil)
	if full := r.pass(s, allBits, nil); full != once {
		t.Fatalf("prefilter missed a match:\n in   %q\n scan %q\n full %q", s, once, full)
	}
	if twice := r.pass(once, allBits, nil); twice != once {
		t.Fatalf("one pass is not a fixed point:\n in    %q\n once  %q\n twice %q", s, once, twice)
	}

	k := len(s) / 2
	planted := s[:k] + awsID + s[k:]
	if got := r.String(planted, nil); strings.Contains(got, awsID) {
		t.Fatalf("planted AWS key survived:\n in  %q\n out %q", planted, got)
	}
}

// outputParts returns the lines and the blank-separated fields of out that
// must each be left alone by String. A field followed by blanks and a
// marker is left out: it is the scheme word an Authorization header kept
// ("Authorization:A [REDACTED:credential]"), which alone reads as the
// header's value.
func outputParts(out string) []string {
	parts := strings.Split(out, "\n")
	for i := 0; i < len(out); {
		for i < len(out) && isSpace(out[i]) {
			i++
		}
		j := i
		for j < len(out) && !isSpace(out[j]) {
			j++
		}
		if j == i {
			break
		}
		k := j
		for k < len(out) && (out[k] == ' ' || out[k] == '\t') {
			k++
		}
		if k == j || markerLen(out[k:]) == 0 {
			parts = append(parts, out[i:j])
		}
		i = j
	}
	return parts
}
