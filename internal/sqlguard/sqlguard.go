// Package sqlguard words refusals: it tells read-only statements from the
// rest by their text, for a friendlier message in `evalhouse sql` and the
// embedded store's read-only refusals. It is not a guard: the engine's
// read-only connections and its own parser are (internal/chhttp).
package sqlguard

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotReadOnly is returned for statements that could change the store.
var ErrNotReadOnly = errors.New("sqlguard: only read-only statements are allowed")

var readVerbs = map[string]bool{
	"SELECT": true, "WITH": true, "SHOW": true, "DESCRIBE": true, "DESC": true,
	"EXPLAIN": true, "EXISTS": true,
}

// ReadOnly returns nil when q is a single read-only statement (SELECT, WITH,
// SHOW, DESCRIBE, EXPLAIN, EXISTS), and an error naming the verb otherwise.
func ReadOnly(q string) error {
	s := strings.TrimSpace(stripLeading(q))
	s = strings.TrimLeft(s, "( \t\r\n")
	verb := strings.ToUpper(firstWord(s))
	if verb == "" {
		return fmt.Errorf("%w: the statement is empty", ErrNotReadOnly)
	}
	if !readVerbs[verb] {
		return fmt.Errorf("%w: %s changes the store or the session (allowed: SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS)", ErrNotReadOnly, verb)
	}
	if i := statementEnd(s); i >= 0 && strings.TrimSpace(stripLeading(s[i+1:])) != "" {
		return fmt.Errorf("%w: one statement at a time", ErrNotReadOnly)
	}
	return nil
}

// FirstWord is the first word of q after whitespace, opening parentheses
// and comments: the verb a statement starts with ("" when none).
func FirstWord(q string) string {
	return firstWord(strings.TrimLeft(stripLeading(q), "( \t\r\n"))
}

func firstWord(s string) string {
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return s[:i]
		}
	}
	return s
}

// stripLeading drops leading whitespace and comments.
func stripLeading(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "--"), strings.HasPrefix(s, "#"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return ""
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return ""
			}
			s = s[i+2:]
		default:
			return s
		}
	}
}

// statementEnd finds the first ';' outside quotes and comments, or -1.
func statementEnd(s string) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			if j := strings.Index(s[i+2:], "*/"); j >= 0 {
				i += j + 3
			} else {
				i = len(s)
			}
		case c == ';':
			return i
		}
	}
	return -1
}
