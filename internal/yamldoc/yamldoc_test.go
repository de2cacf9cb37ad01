package yamldoc

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeOne(t *testing.T) {
	var v struct{ A int }
	if err := DecodeOne([]byte("a: 1\n"), &v); err != nil || v.A != 1 {
		t.Fatalf("one document: %v %+v", err, v)
	}
	if err := DecodeOne([]byte(`{"a": 2}`), &v); err != nil || v.A != 2 {
		t.Fatalf("JSON: %v %+v", err, v)
	}
	if err := DecodeOne(nil, &v); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	for in, want := range map[string]string{
		"a: 1\nb: 2\n":       "field b not found",
		"a: 1\n---\na: 0\n":  "a second YAML document starts at line 2",
		"a: 1\n---\n: : [\n": "not valid either",
		"a: [\n":             "yaml:",
	} {
		if err := DecodeOne([]byte(in), &v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
