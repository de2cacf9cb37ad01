// Package chsql keeps a table owner's statements: each is a file under the
// owner's sql/ directory, embedded in the binary and parsed once as a
// text/template, so optional clauses are written in the file, next to the
// rest of the statement, instead of being glued together in Go.
//
// A statement with no template actions is used as it is (Get). One with
// actions is rendered with the data it names (Render); it binds its values
// as named parameters (@name, clickhouse.Named), never by formatting them
// into the text.
package chsql

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"text/template"
)

// Set is one owner's statements, by file name without ".sql".
type Set struct {
	owner string
	stmts map[string]*template.Template
}

// Load parses every sql/*.sql file of fsys. It panics on a file that is
// not a valid template: the files are embedded, so that is a build error.
func Load(owner string, fsys fs.FS) *Set {
	names, err := fs.Glob(fsys, "sql/*.sql")
	if err != nil || len(names) == 0 {
		panic(fmt.Sprintf("%s: no embedded sql/*.sql (%v)", owner, err))
	}
	s := &Set{owner: owner, stmts: map[string]*template.Template{}}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			panic(fmt.Sprintf("%s: %v", owner, err))
		}
		name := strings.TrimSuffix(path.Base(n), ".sql")
		t, err := template.New(name).Option("missingkey=error").Parse(string(b))
		if err != nil {
			panic(fmt.Sprintf("%s: sql/%s.sql: %v", owner, name, err))
		}
		s.stmts[name] = t
	}
	return s
}

// Get returns a statement that needs no data. It panics when the owner has
// no such file (a build error, caught by the owner's tests).
func (s *Set) Get(name string) string {
	return s.Render(name, nil)
}

// Render executes a statement's template with data. Leading comment lines
// (the file's documentation) and surrounding blank space are dropped.
func (s *Set) Render(name string, data any) string {
	t := s.stmts[name]
	if t == nil {
		panic(fmt.Sprintf("%s: no embedded statement sql/%s.sql", s.owner, name))
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("%s: sql/%s.sql: %v", s.owner, name, err))
	}
	return clean(b.String())
}

// Names lists the statements, for tests that check each is used.
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.stmts))
	for n := range s.stmts {
		out = append(out, n)
	}
	return out
}

// clean drops "--" comment lines and blank lines, and trailing spaces, so
// what reaches the store (and the snapshots) is the statement alone.
func clean(q string) string {
	var out []string
	for _, line := range strings.Split(q, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
