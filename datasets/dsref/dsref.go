// Package dsref is the one grammar of dataset names and references, shared
// by everything that names a dataset version: run events (the envelope's
// dataset field), the datasets store, evaluators and the gate. A reference
// one of them accepts is one the others resolve.
//
// A name is lower-case ASCII letters, digits, '.', '_' and '-', starting
// with a letter or digit, at most MaxName bytes. A reference is NAME (the
// latest published version), NAME@latest (the same, written out) or
// NAME@vN, N a decimal from 1 without leading zeros, at most 2^32-1.
//
// The package is a leaf: it imports nothing of evalhouse and no store code,
// so the ingest path can check references without the store.
package dsref

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxName bounds a dataset name's length in bytes.
const MaxName = 100

// ErrInvalid is what every error of this package matches (errors.Is): the
// text is not a dataset name or reference. The error's message names the
// text (clipped) and the grammar.
var ErrInvalid = errors.New("dsref: invalid dataset name or reference")

type invalid struct{ msg string }

func (e *invalid) Error() string { return e.msg }
func (e *invalid) Unwrap() error { return ErrInvalid }

func invalidf(format string, args ...any) error { return &invalid{fmt.Sprintf(format, args...)} }

// Ref is a parsed dataset reference.
type Ref struct {
	// Name is the dataset's name.
	Name string
	// Version is N of NAME@vN; 0 when no version is named (NAME or
	// NAME@latest: the latest published version).
	Version uint32
	// Latest is set when the reference was written NAME@latest. Readers that
	// treat a bare NAME as "any version" (gate history) tell the two apart.
	Latest bool
}

// Pinned reports whether r names one version (NAME@vN).
func (r Ref) Pinned() bool { return r.Version > 0 }

// String writes the reference back as it was parsed: NAME@vN, NAME@latest
// or NAME.
func (r Ref) String() string {
	switch {
	case r.Version > 0:
		return Format(r.Name, r.Version)
	case r.Latest:
		return r.Name + "@latest"
	}
	return r.Name
}

// Format is the explicit reference of version n of dataset name, NAME@vN:
// the form run events carry and results are keyed on.
func Format(name string, n uint32) string { return name + "@v" + strconv.FormatUint(uint64(n), 10) }

// CheckName reports whether name is a valid dataset name.
func CheckName(name string) error {
	if !validName(name) {
		return invalidf("invalid dataset name %q: want lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, up to %d characters",
			clip(name, 120), MaxName)
	}
	return nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > MaxName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// Parse reads NAME, NAME@latest or NAME@vN.
func Parse(s string) (Ref, error) {
	name, ver, hasVer := strings.Cut(s, "@")
	if err := CheckName(name); err != nil {
		return Ref{}, err
	}
	if !hasVer {
		return Ref{Name: name}, nil
	}
	if ver == "latest" {
		return Ref{Name: name, Latest: true}, nil
	}
	n, ok := parseVersion(ver)
	if !ok {
		return Ref{}, invalidf("invalid dataset reference %q: want NAME, NAME@latest or NAME@vN (N from 1)", clip(s, 120))
	}
	return Ref{Name: name, Version: n}, nil
}

// ParsePinned reads NAME@vN only: the reference of a version that ran,
// as a run event or a result records it.
func ParsePinned(s string) (Ref, error) {
	r, err := Parse(s)
	if err != nil {
		return Ref{}, err
	}
	if !r.Pinned() {
		return Ref{}, invalidf("invalid dataset reference %q: want NAME@vN (N from 1), one version", clip(s, 120))
	}
	return r, nil
}

// parseVersion reads "vN": N decimal, from 1, no sign, no leading zero, so
// each version has exactly one spelling (NAME@v01 would never match the
// NAME@v1 its runs and results are stored under).
func parseVersion(v string) (uint32, bool) {
	d, ok := strings.CutPrefix(v, "v")
	if !ok || d == "" || d[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(d, 10, 32)
	return uint32(n), err == nil
}

// clip shortens s for a message, keeping it valid UTF-8.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
