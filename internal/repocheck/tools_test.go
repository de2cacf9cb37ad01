package repocheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Programs every machine has (the Go toolchain, the shell, npm for libchdb):
// tests may run them without the Makefile installing them.
var basePrograms = map[string]bool{"go": true, "sh": true, "bash": true, "git": true, "node": true, "npm": true}

var lookup = regexp.MustCompile(`exec\.(?:LookPath|Command(?:Context)?)\((?:ctx, )?"([a-zA-Z0-9_.+-]+)"`)

// TestToolsInstalledByMake fails when a test looks up a program that the
// Makefile's `tools` target (a prerequisite of `make test`) does not
// install: on a fresh CI machine that test could not run.
func TestToolsInstalledByMake(t *testing.T) {
	root := filepath.Join("..", "..")
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	installed := makeTools(t, string(makefile))
	if !regexp.MustCompile(`(?m)^test:[^\n]*\btools\b`).Match(makefile) {
		t.Fatal("Makefile: the test target does not depend on tools")
	}
	used := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range lookup.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = append(used[m[1]], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used["xmllint"]) == 0 {
		t.Fatal("found no test running xmllint: the scan is broken (the JUnit test runs it)")
	}
	for prog, files := range used {
		if !basePrograms[prog] && !installed[prog] {
			t.Errorf("%s runs %q, but the Makefile's TEST_TOOLS does not install it", files[0], prog)
		}
	}
}

// makeTools reads TEST_TOOLS ("program:package ...") from the Makefile.
func makeTools(t *testing.T, makefile string) map[string]bool {
	m := regexp.MustCompile(`(?m)^TEST_TOOLS\s*:=\s*(.*)$`).FindStringSubmatch(makefile)
	if m == nil {
		t.Fatal("Makefile: no TEST_TOOLS line")
	}
	tools := map[string]bool{}
	for _, spec := range strings.Fields(m[1]) {
		prog, pkg, ok := strings.Cut(spec, ":")
		if !ok || prog == "" || pkg == "" {
			t.Fatalf("Makefile: TEST_TOOLS entry %q is not program:package", spec)
		}
		tools[prog] = true
	}
	return tools
}

// TestMakeIgnoresNoErrors: a recipe line prefixed with "-" makes make print
// "Error … (ignored)", which reads as a failure to a newcomer running
// `make demo`. An expected non-zero exit is checked and shown instead
// (the Makefile's expect macro).
func TestMakeIgnoresNoErrors(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(makefile), "\n") {
		if strings.HasPrefix(line, "\t-") || strings.HasPrefix(line, "\t@-") {
			t.Errorf("Makefile:%d ignores its command's errors: %s", i+1, strings.TrimSpace(line))
		}
	}
}
