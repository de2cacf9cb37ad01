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
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/template"
)

// Set is one owner's statements, by file name without ".sql". The files
// are one template set: a statement can include a shared fragment (a
// condition, a column list) with {{template "name" .}}.
type Set struct {
	owner string
	root  *template.Template
	src   map[string]string

	mu       sync.Mutex
	rendered map[string]bool
}

// funcs are the functions a statement may call: join (strings.Join), for
// lists of expressions an owner builds from its own catalog.
var funcs = template.FuncMap{"join": strings.Join}

// Load parses every sql/*.sql file of fsys. It panics on a file that is
// not a valid template: the files are embedded, so that is a build error.
func Load(owner string, fsys fs.FS) *Set {
	names, err := fs.Glob(fsys, "sql/*.sql")
	if err != nil || len(names) == 0 {
		panic(fmt.Sprintf("%s: no embedded sql/*.sql (%v)", owner, err))
	}
	s := &Set{owner: owner, root: template.New(owner).Option("missingkey=error").Funcs(funcs), src: map[string]string{}, rendered: map[string]bool{}}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			panic(fmt.Sprintf("%s: %v", owner, err))
		}
		name := strings.TrimSuffix(path.Base(n), ".sql")
		s.src[name] = stripComments(string(b))
		if _, err := s.root.New(name).Parse(s.src[name]); err != nil {
			panic(fmt.Sprintf("%s: sql/%s.sql: %v", owner, name, err))
		}
	}
	return s
}

// Get returns a statement that needs no data. It panics when the owner has
// no such file (a build error, caught by the owner's tests).
func (s *Set) Get(name string) string {
	return s.Render(name, nil)
}

// Render executes a statement's template with data. Blank lines and
// trailing spaces are dropped.
func (s *Set) Render(name string, data any) string {
	t := s.root.Lookup(name)
	if t == nil || name == s.owner {
		panic(fmt.Sprintf("%s: no embedded statement sql/%s.sql", s.owner, name))
	}
	s.mu.Lock()
	s.rendered[name] = true
	s.mu.Unlock()
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("%s: sql/%s.sql: %v", s.owner, name, err))
	}
	return clean(b.String())
}

// Names lists the statements, for tests that check each is used.
func (s *Set) Names() []string {
	var out []string
	for _, t := range s.root.Templates() {
		if t.Name() != s.owner {
			out = append(out, t.Name())
		}
	}
	return out
}

// stripComments drops the file's "--" comment lines (its documentation)
// before it is parsed, so a fragment's comment never swallows what a
// template action joins onto its line.
func stripComments(src string) string {
	var out []string
	for _, line := range strings.Split(src, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

var include = regexp.MustCompile(`{{-?\s*template\s+"([^"]+)"`)

// Unused lists the files no statement has used since Load: neither
// rendered, nor included by a rendered one. An owner's snapshot test,
// having driven every reader and writer, expects none.
func (s *Set) Unused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	used := map[string]bool{}
	var mark func(string)
	mark = func(n string) {
		if used[n] {
			return
		}
		used[n] = true
		for _, m := range include.FindAllStringSubmatch(s.src[n], -1) {
			mark(m[1])
		}
	}
	for n := range s.rendered {
		mark(n)
	}
	var out []string
	for n := range s.src {
		if !used[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// clean drops blank lines and trailing spaces, so what reaches the store
// (and the snapshots) is the statement alone.
func clean(q string) string {
	var out []string
	for _, line := range strings.Split(q, "\n") {
		if line = strings.TrimRight(line, " \t\r"); strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
