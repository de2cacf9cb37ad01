package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docs/dependencies.md lists every direct dependency in go.mod, and only
// those: a module added, or one no longer required, fails here.
func TestDependenciesDocumented(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/dependencies.md")
	if err != nil {
		t.Fatal(err)
	}
	var direct []string
	inRequire := false
	for _, l := range strings.Split(string(mod), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "require ("):
			inRequire = true
		case l == ")":
			inRequire = false
		case inRequire && l != "" && !strings.Contains(l, "// indirect"):
			direct = append(direct, strings.Fields(l)[0])
		case strings.HasPrefix(l, "require ") && !strings.Contains(l, "// indirect"):
			direct = append(direct, strings.Fields(l)[1])
		}
	}
	row := regexp.MustCompile(`(?m)^\| ([a-z0-9.]+\.[a-z]+/[^ |]+) \|`)
	var listed []string
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		listed = append(listed, m[1])
	}
	if len(direct) == 0 || len(listed) == 0 {
		t.Fatalf("read %d direct dependencies from go.mod and %d rows from the doc", len(direct), len(listed))
	}
	for _, m := range direct {
		if !slices.Contains(listed, m) {
			t.Errorf("go.mod requires %s; docs/dependencies.md does not say why", m)
		}
	}
	for _, m := range listed {
		if !slices.Contains(direct, m) {
			t.Errorf("docs/dependencies.md lists %s, which go.mod does not require directly", m)
		}
	}
}
