package dsref

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Ref
	}{
		{"support-bot", Ref{Name: "support-bot"}},
		{"support-bot@latest", Ref{Name: "support-bot", Latest: true}},
		{"support-bot@v1", Ref{Name: "support-bot", Version: 1}},
		{"a.b_c-d@v4294967295", Ref{Name: "a.b_c-d", Version: 4294967295}},
		{"0@v10", Ref{Name: "0", Version: 10}},
	} {
		got, err := Parse(c.in)
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if got.String() != c.in {
			t.Errorf("Parse(%q).String() = %q", c.in, got.String())
		}
	}
}

// Every spelling that could never resolve is refused, by every user of
// the grammar: an event tagged Support/Bot@v1 used to be accepted by the
// envelope and then matched no dataset.
func TestParseRefuses(t *testing.T) {
	for _, in := range []string{"", "Support/Bot@v1", "support/bot@v1", "Bot", "bot@", "bot@3", "bot@v0", "bot@v01", "bot@v+1",
		"bot@v-1", "bot@vx", "bot@v1x", "bot@v4294967296", "bot@v99999999999", "bot@LATEST", "-bot@v1", ".bot", "bot@v1@v2",
		"b ot@v1", "bot\x00@v1", strings.Repeat("a", MaxName+1)} {
		if r, err := Parse(in); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %+v, %v; want ErrInvalid", in, r, err)
		}
	}
	if _, err := Parse(strings.Repeat("a", MaxName)); err != nil {
		t.Errorf("a %d-byte name: %v", MaxName, err)
	}
}

func TestParsePinned(t *testing.T) {
	if r, err := ParsePinned("bot@v3"); err != nil || r != (Ref{Name: "bot", Version: 3}) {
		t.Errorf("bot@v3: %+v, %v", r, err)
	}
	for _, in := range []string{"bot", "bot@latest", "bot@v0"} {
		if _, err := ParsePinned(in); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "NAME@vN") {
			t.Errorf("ParsePinned(%q) = %v", in, err)
		}
	}
}

func TestErrorsNameTheTextClipped(t *testing.T) {
	long := strings.Repeat("x", 500) + "@v1"
	_, err := Parse("Bad" + long)
	if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(), "invalid dataset name") {
		t.Errorf("error: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"support-bot@v1", "bot", "bot@latest", "Support/Bot@v1", "bot@v01", "bot@v4294967296"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q): error not ErrInvalid: %v", s, err)
			}
			return
		}
		// One spelling per reference: what parses writes back unchanged.
		if r.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, r.String())
		}
		if CheckName(r.Name) != nil {
			t.Fatalf("Parse(%q) gave an invalid name %q", s, r.Name)
		}
		if p, err := ParsePinned(s); (err == nil) != r.Pinned() || (err == nil && p != r) {
			t.Fatalf("ParsePinned(%q) = %+v, %v; Parse gave %+v", s, p, err, r)
		}
	})
}
